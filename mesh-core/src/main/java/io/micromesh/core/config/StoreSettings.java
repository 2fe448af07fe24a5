package io.micromesh.core.config;

/**
 * The {@code store:} section: the one database the gateway keeps everything in (the usage ledger,
 * API keys, budgets, what routes learn). SQLite in the state folder unless a URL names PostgreSQL,
 * which several gateway instances can share.
 *
 * @param url           {@code jdbc:postgresql://HOST:PORT/DB}, or {@code jdbc:sqlite:FILE}; default
 *                      {@code mesh.db} in {@code server.state-dir}
 * @param user          the database user (PostgreSQL)
 * @param password      the user's password; write it as {@code ${MESH_DB_PASSWORD}}, never in the file
 * @param retentionDays how long usage records are kept (default 400: a year and its comparison month)
 * @param poolSize      connections kept open to the database (default 8)
 */
public record StoreSettings(String url, String user, String password, Integer retentionDays, Integer poolSize) {

    /** The default retention of usage records, in days. */
    public static final int DEFAULT_RETENTION_DAYS = 400;

    public StoreSettings {
        url = Checks.blankToNull(url);
        if (url != null && !url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:sqlite:")) {
            throw new ConfigException("url", "'" + url.replaceAll("(?i)password=[^&;]*", "password=***")
                    + "' is not supported; use jdbc:postgresql://HOST:PORT/DATABASE or jdbc:sqlite:FILE");
        }
        user = Checks.blankToNull(user);
        password = password == null ? null : password;
        retentionDays = Checks.between("retention-days", retentionDays, 1, 36_500, DEFAULT_RETENTION_DAYS);
        poolSize = Checks.between("pool-size", poolSize, 1, 200, 8);
    }

    /** All defaults: SQLite in the state folder. */
    public static StoreSettings defaults() {
        return new StoreSettings(null, null, null, null, null);
    }

    /** Whether the store is a PostgreSQL database (shared by instances) rather than a SQLite file. */
    public boolean postgres() {
        return url != null && url.startsWith("jdbc:postgresql:");
    }

    /** Without the password: this is logged and shown in messages. */
    @Override
    public String toString() {
        return "StoreSettings[url=" + (url == null ? "(state-dir)/mesh.db" : url) + ", user=" + user
                + ", password=" + (password == null ? "none" : "***") + ", retentionDays=" + retentionDays
                + ", poolSize=" + poolSize + "]";
    }
}
