package io.micromesh.server;

import io.micromesh.core.spi.Usage;

/**
 * What the gateway learns about one request while serving it, for its access-log line and its
 * metrics: its id, the model that served it, and its tokens. Filled on the request's own thread.
 */
final class Exchange {

    /** The model label of an inference request whose model is not known (bad body, unknown model). */
    static final String NO_MODEL = "unknown";

    private final String id;
    private final long startNanos;
    private String model = NO_MODEL;
    private Usage tokens = Usage.NONE;
    private boolean clientGone;
    private boolean inference;

    Exchange(String id, long startNanos) {
        this.id = id;
        this.startNanos = startNanos;
    }

    String id() {
        return id;
    }

    long startNanos() {
        return startNanos;
    }

    String model() {
        return model;
    }

    void model(String servedBy) {
        this.model = servedBy;
    }

    Usage tokens() {
        return tokens;
    }

    void tokens(Usage counted) {
        this.tokens = counted;
    }

    /** Whether this is an inference request (chat, completion, embeddings), which the model metrics count. */
    boolean inference() {
        return inference;
    }

    void markInference() {
        this.inference = true;
    }

    boolean clientGone() {
        return clientGone;
    }

    void markClientGone() {
        this.clientGone = true;
    }
}
