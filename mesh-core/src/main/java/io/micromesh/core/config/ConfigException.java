package io.micromesh.core.config;

/**
 * A configuration that cannot be used. The message names the key (as a path such as
 * {@code models[1].slots}), the value found and what is allowed, so that it can be printed as is.
 */
public final class ConfigException extends RuntimeException {

    private final String key;

    public ConfigException(String key, String problem) {
        super(key.isEmpty() ? problem : key + ": " + problem);
        this.key = key;
    }

    /** The key at fault, relative to where it was thrown; empty for the whole file. */
    public String key() {
        return key;
    }

    /** The same problem with its key placed under {@code parent}. */
    ConfigException under(String parent) {
        String path = parent.isEmpty() ? key : key.isEmpty() ? parent : key.startsWith("[") ? parent + key : parent + "." + key;
        return new ConfigException(path, problem());
    }

    /** The message without its key. */
    public String problem() {
        return key.isEmpty() ? getMessage() : getMessage().substring(key.length() + 2);
    }
}
