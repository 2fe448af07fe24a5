package io.micromesh.core.config;

/**
 * The {@code server:} section.
 *
 * @param host           interface to bind; loopback unless said otherwise
 * @param port           TCP port; 0 picks a free one
 * @param apiKey         when set, every {@code /v1} request must carry it as a bearer token
 * @param masterKey      when set, the admin API ({@code /admin/keys}) is on behind it, and every {@code /v1}
 *                       request needs it or a key the admin API issued
 * @param maxBodyBytes   largest request body accepted (413 above it)
 * @param drainTimeoutMs on SIGTERM, how long requests in flight may take to finish
 * @param accessLog      log one line per request (id, model, status, latency, tokens)
 * @param stateDir       where the gateway keeps what it learns (the outcome store {@code mesh.db}),
 *                       relative to the working folder unless absolute; default {@code state}
 * @param lanes          the shares of places reserved for the lower priority lanes while they wait
 * @param idleTimeoutMs  how long a client's connection may sit idle between requests
 * @param headerTimeoutMs how long the head of a request (request line and headers) may take to arrive
 *                       once its first byte has
 * @param bodyTimeoutMs  how long a request's body may take to arrive
 * @param tls            when set, the gateway serves HTTPS with this certificate and key
 * @param logFormat      {@code text} (one line per record) or {@code json} (one JSON object per line)
 * @param tracing        when set, OpenTelemetry spans of every request are exported over OTLP
 * @param maxFileBytes   largest file {@code POST /v1/files} takes (413 above it)
 * @param batches        how the Batch API runs batches
 * @param cache          how much the response cache holds in memory
 */
public record ServerSettings(String host, Integer port, String apiKey, Long maxBodyBytes, Integer drainTimeoutMs,
                             Boolean accessLog, String stateDir, LaneShares lanes, Integer idleTimeoutMs,
                             Integer headerTimeoutMs, Integer bodyTimeoutMs, String masterKey, Tls tls, String logFormat, Tracing tracing,
                             Long maxFileBytes, Batches batches, Cache cache) {

    /**
     * The response cache's bounds in the gateway's memory, over all models and routes that cache;
     * the first bound reached evicts the least used answers.
     *
     * @param maxEntries answers held at most (default 100,000); the semantic index holds as many questions
     * @param maxBytes   their bytes at most (default 256 MiB: an answer's text, its request key and
     *                   about 400 bytes of bookkeeping)
     */
    public record Cache(Long maxEntries, Long maxBytes) {
        public static final long DEFAULT_MAX_ENTRIES = 100_000;
        public static final long DEFAULT_MAX_BYTES = 256L * 1024 * 1024;

        public Cache {
            maxEntries = maxEntries == null ? DEFAULT_MAX_ENTRIES : maxEntries;
            maxBytes = maxBytes == null ? DEFAULT_MAX_BYTES : maxBytes;
            if (maxEntries < 1 || maxEntries > 100_000_000) {
                throw new ConfigException("max-entries", maxEntries + " is not allowed; from 1 to 100000000");
            }
            if (maxBytes < 1024 * 1024) {
                throw new ConfigException("max-bytes", maxBytes + " is not allowed; at least 1048576 (1 MiB)");
            }
        }
    }

    /**
     * How batches of the Batch API run.
     *
     * @param concurrency each batch's requests in flight at most (default 32); batches share the
     *                    {@code batch} lane, each with this many
     * @param maxAttempts attempts per item for retriable failures (default 5)
     * @param maxRequests lines a batch's input may hold at most (default 50,000, as OpenAI)
     * @param kafka       when set ({@code HOST:PORT}), batches are handed to {@code mesh worker}s over this Kafka
     *                    cluster (with the {@code kafka:} section's settings) instead of run in the gateway
     */
    public record Batches(Integer concurrency, Integer maxAttempts, Integer maxRequests, String kafka) {
        public Batches {
            kafka = Checks.blankToNull(kafka);
            if (kafka != null && !kafka.matches("[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*")) {
                throw new ConfigException("kafka", "'" + kafka + "' is not HOST:PORT (or a comma-separated list)");
            }
            concurrency = Checks.between("concurrency", concurrency, 1, 4096, 32);
            maxAttempts = Checks.between("max-attempts", maxAttempts, 1, 100, 5);
            maxRequests = Checks.between("max-requests", maxRequests, 1, 10_000_000, 50_000);
        }
    }

    /**
     * OpenTelemetry tracing: spans exported over OTLP/HTTP (protobuf).
     *
     * @param otlpEndpoint the collector's base URL, e.g. {@code http://127.0.0.1:4318} ({@code /v1/traces} is added)
     * @param sampleRatio  the share of new traces kept (a request that arrives with a trace follows its caller's choice)
     * @param serviceName  the {@code service.name} of the spans (default micromesh)
     */
    public record Tracing(String otlpEndpoint, Double sampleRatio, String serviceName) {
        public Tracing {
            otlpEndpoint = Checks.blankToNull(otlpEndpoint);
            if (otlpEndpoint == null || !otlpEndpoint.matches("https?://.+")) {
                throw new ConfigException("otlp-endpoint", "is required: the collector's http:// or https:// base URL,"
                        + " e.g. http://127.0.0.1:4318");
            }
            sampleRatio = sampleRatio == null ? 1.0 : sampleRatio;
            if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
                throw new ConfigException("sample-ratio", sampleRatio + " is not allowed; from 0 to 1");
            }
            serviceName = serviceName == null || serviceName.isBlank() ? "micromesh" : serviceName;
        }
    }

    /**
     * The gateway's TLS certificate and key, PEM files (relative to the working folder unless absolute).
     *
     * @param cert the certificate chain, the server's first
     * @param key  its private key (PKCS#8 or PKCS#1, not encrypted)
     */
    public record Tls(String cert, String key) {
        public Tls {
            cert = Checks.blankToNull(cert);
            key = Checks.blankToNull(key);
            if (cert == null || key == null) {
                throw new ConfigException("", "needs both 'cert' and 'key': the PEM files of the certificate chain and its"
                        + " private key");
            }
            for (String[] file : new String[][] {{"tls.cert", cert}, {"tls.key", key}}) {
                if (!java.nio.file.Files.isReadable(java.nio.file.Path.of(file[1]))) {
                    throw new ConfigException(file[0], "'" + file[1] + "' is not a readable file");
                }
            }
        }
    }

    /**
     * The shares of each replica's places that a lower lane gets while it waits, even when higher
     * lanes wait too (so that no lane starves).
     *
     * @param agent       the {@code agent} lane's share (default 0.1)
     * @param batch       the {@code batch} lane's share (default 0.05)
     * @param interactive the share of places the lower lanes may never take (default 0.125: one of
     *                    eight; at least one place when a replica has two or more)
     */
    public record LaneShares(Double agent, Double batch, Double interactive) {
        public LaneShares {
            agent = share("agent", agent, 0.1);
            batch = share("batch", batch, 0.05);
            interactive = share("interactive", interactive, 0.125);
            if (interactive > 0.5) {
                throw new ConfigException("interactive", interactive + " is not allowed; at most 0.5");
            }
            if (agent + batch > 0.9) {
                throw new ConfigException("", "the shares add up to " + (agent + batch)
                        + "; at most 0.9, so that interactive requests keep most places");
            }
        }

        private static double share(String key, Double value, double fallback) {
            double v = value == null ? fallback : value;
            if (!(v >= 0 && v <= 0.9)) {
                throw new ConfigException(key, v + " is not allowed; a share is from 0 to 0.9");
            }
            return v;
        }
    }

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_MAX_BODY_BYTES = 8L * 1024 * 1024;

    public ServerSettings {
        host = host == null || host.isBlank() ? DEFAULT_HOST : host;
        port = Checks.between("port", port, 0, 65_535, DEFAULT_PORT);
        apiKey = Checks.blankToNull(apiKey);
        masterKey = Checks.blankToNull(masterKey);
        logFormat = logFormat == null ? "text" : logFormat;
        batches = batches == null ? new Batches(null, null, null, null) : batches;
        cache = cache == null ? new Cache(null, null) : cache;
        maxFileBytes = maxFileBytes == null ? 200L * 1024 * 1024 : maxFileBytes;
        if (maxFileBytes < 1024) {
            throw new ConfigException("max-file-bytes", maxFileBytes + " is not allowed; it must be at least 1024");
        }
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new ConfigException("log-format", "'" + logFormat + "' is not allowed; text or json");
        }
        if (apiKey != null && masterKey != null) {
            throw new ConfigException("master-key", "is set together with api-key; with a master key, issue keys with"
                    + " POST /admin/keys and remove api-key");
        }
        if (masterKey != null && masterKey.length() < 16) {
            throw new ConfigException("master-key", "is " + masterKey.length() + " characters; a master key needs at least 16");
        }
        long body = maxBodyBytes == null ? DEFAULT_MAX_BODY_BYTES : maxBodyBytes;
        if (body < 1024) {
            throw new ConfigException("max-body-bytes", body + " is not allowed; it must be at least 1024");
        }
        maxBodyBytes = body;
        drainTimeoutMs = Checks.between("drain-timeout-ms", drainTimeoutMs, 0, 3_600_000, 30_000);
        accessLog = accessLog == null || accessLog;
        stateDir = stateDir == null || stateDir.isBlank() ? "state" : stateDir;
        lanes = lanes == null ? new LaneShares(null, null, null) : lanes;
        idleTimeoutMs = Checks.between("idle-timeout-ms", idleTimeoutMs, 1_000, 3_600_000, 60_000);
        headerTimeoutMs = Checks.between("header-timeout-ms", headerTimeoutMs, 1_000, 600_000, 10_000);
        bodyTimeoutMs = Checks.between("body-timeout-ms", bodyTimeoutMs, 1_000, 3_600_000, 120_000);
    }

    /** All defaults: loopback, port 8080, no API key. */
    public static ServerSettings defaults() {
        return new ServerSettings(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null);
    }

    /** The same settings on another port. */
    public ServerSettings withPort(int newPort) {
        return new ServerSettings(host, newPort, apiKey, maxBodyBytes, drainTimeoutMs, accessLog, stateDir, lanes,
                idleTimeoutMs, headerTimeoutMs, bodyTimeoutMs, masterKey, tls, logFormat, tracing, maxFileBytes, batches, cache);
    }

    /** {@code https} with TLS, else {@code http}. */
    public String scheme() {
        return tls == null ? "http" : "https";
    }

    /** Without the keys: settings are logged and shown in messages. */
    @Override
    public String toString() {
        return "ServerSettings[host=" + host + ", port=" + port + ", apiKey=" + (apiKey == null ? "none" : "***")
                + ", masterKey=" + (masterKey == null ? "none" : "***") + ", maxBodyBytes=" + maxBodyBytes + ", stateDir="
                + stateDir + "]";
    }
}
