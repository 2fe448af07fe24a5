package io.micromesh.core.config;

/**
 * The share of hardware given to a model.
 *
 * @param kind  {@code cpu} or {@code gpu}
 * @param cores CPU cores (for {@code cpu})
 * @param count GPUs (for {@code gpu})
 * @param watts power of the whole share, in watts
 */
public record Hardware(String kind, Integer cores, Integer count, Double watts) {

    public Hardware {
        if (kind == null || !(kind.equals("cpu") || kind.equals("gpu"))) {
            throw new ConfigException("kind", (kind == null ? "is required" : "'" + kind + "' is not allowed")
                    + "; allowed: cpu, gpu");
        }
        if (kind.equals("cpu") && count != null) {
            throw new ConfigException("count", "is for kind gpu; a cpu share is sized in 'cores'");
        }
        if (kind.equals("gpu") && cores != null) {
            throw new ConfigException("cores", "is for kind cpu; a gpu share is sized in 'count'");
        }
        cores = kind.equals("cpu") ? Checks.atLeast("cores", cores, 1, 1) : null;
        count = kind.equals("gpu") ? Checks.atLeast("count", count, 1, 1) : null;
        watts = Checks.nonNegative("watts", watts);
    }
}
