package io.micromesh.server;

import io.micromesh.core.accounting.Grant;
import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.dispatch.Outcome;
import io.micromesh.core.spi.Usage;

/**
 * What the gateway learns about one request while serving it, for its access-log line and its
 * metrics: its id, who asked, the model that served it, and its tokens. Filled on the request's own thread.
 */
final class Exchange {

    /** The model label of an inference request whose model is not known (bad body, unknown model). */
    static final String NO_MODEL = "unknown";
    /** Who asks when the gateway has no API key. */
    static final String ANONYMOUS = io.micromesh.core.dispatch.Caller.ANONYMOUS;
    /** Who asks with the gateway's own API key ({@code server.api-key}). */
    static final String MASTER = "master";

    private final String id;
    private final long startNanos;
    private String keyId = ANONYMOUS;
    private Grant grant = Grant.UNLIMITED;
    private String model = NO_MODEL;
    private Usage tokens = Usage.NONE;
    private UsageRecord usage;
    private boolean clientGone;
    private boolean inference;
    private String traceId;

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

    /** Whether {@code keyId} may see everyone's usage: the master key, and everyone on a gateway without keys. */
    static boolean seesAll(String keyId) {
        return keyId.equals(MASTER) || keyId.equals(ANONYMOUS);
    }

    /** Who asks: the id of the caller's API key, {@value #ANONYMOUS} when the gateway has none. */
    String keyId() {
        return keyId;
    }

    /** What the caller's key may use. */
    Grant grant() {
        return grant;
    }

    /** The caller the edge authenticated. */
    void caller(Authenticator.Principal principal) {
        this.keyId = principal.keyId();
        this.grant = principal.grant();
    }

    /** Takes the served model and the answer's tokens from a dispatched request's outcome. */
    void settle(Outcome outcome) {
        usage = outcome.usage();
        if (!usage.model().isEmpty()) {
            model = usage.model();
        }
        tokens = new Usage(usage.promptTokens(), usage.completionTokens());
    }

    /** The trace of the request, when it was traced; else null. */
    String traceId() {
        return traceId;
    }

    void traceId(String id) {
        this.traceId = id;
    }

    /** The usage record of the dispatched request, or null before (or without) one. */
    UsageRecord usage() {
        return usage;
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
