package io.micromesh.core.config;

/** Small validations shared by the configuration records; each names the key it checks. */
final class Checks {

    private Checks() {
    }

    static int atLeast(String key, Integer value, int min, int fallback) {
        int v = value == null ? fallback : value;
        if (v < min) {
            throw new ConfigException(key, v + " is not allowed; it must be at least " + min);
        }
        return v;
    }

    static int between(String key, Integer value, int min, int max, int fallback) {
        int v = value == null ? fallback : value;
        if (v < min || v > max) {
            throw new ConfigException(key, v + " is not allowed; it must be from " + min + " to " + max);
        }
        return v;
    }

    static double nonNegative(String key, Double value) {
        double v = value == null ? 0 : value;
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new ConfigException(key, value + " is not allowed; it must be a number of at least 0");
        }
        return v;
    }

    static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
