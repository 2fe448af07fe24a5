package io.micromesh.core;

import io.micromesh.api.Quote;
import java.time.Duration;
import java.util.Optional;

/**
 * Why micromesh could not serve a request, below the HTTP edge: the one error family of the core,
 * the router and the engines. It carries a {@link Failure} (what happened, and whether another
 * replica, model or attempt may succeed), a message for the client (what it can act on, never an
 * internal address or an upstream's own words), a {@link #detail()} for the operator's log (which
 * replica, what it sent), and where it helps the request parameter at fault, a machine-readable
 * code, the upstream's answer or a hint of when to try again. Only the edge (mesh-server) turns it into an HTTP status and an OpenAI error body.
 * Stackless: most are answers (a full queue under load, a bad parameter), not bugs.
 */
public final class MeshException extends RuntimeException {

    /** What went wrong. {@link #retriable()} says whether another replica, model or attempt may succeed. */
    public enum Failure {
        /** The request cannot be served as written (a value out of range, too long a prompt): the caller's mistake. */
        INVALID_REQUEST(false),
        /** The model cannot do what the request asks (a capability it lacks): another model might. */
        UNSUPPORTED(false),
        /** The request names no model or route of the portfolio. */
        MODEL_NOT_FOUND(false),
        /** No candidate of the route can take the request (capabilities, context): the request must change. */
        NO_ADMISSIBLE_MODEL(false),
        /** The connection was refused or reset before a response. */
        REFUSED(true),
        /** No response headers within the timeout. */
        TIMEOUT(true),
        /** The upstream said it is overloaded (429). */
        OVERLOADED(true),
        /** The upstream failed (5xx). */
        UPSTREAM_ERROR(true),
        /** The stream broke before its first chunk reached the client. */
        BROKEN_BEFORE_FIRST_CHUNK(true),
        /** The stream broke after chunks had reached the client: it cannot be retried transparently. */
        BROKEN_STREAM(false),
        /** The upstream answered something that is not a valid OpenAI response: another replica or model may not. */
        BAD_RESPONSE(true),
        /** The upstream refused the request as invalid (4xx other than 429): the caller's mistake. */
        REJECTED(false),
        /** The upstream refused our credentials (401/403): a configuration mistake. */
        UNAUTHORIZED(false),
        /** No replica or engine can take the request now. */
        UNAVAILABLE(false),
        /** The replica's queue is full: another replica, or another model of a route, may have room. */
        QUEUE_FULL(true),
        /** The request's deadline passed while it waited for a place. */
        DEADLINE_EXCEEDED(false),
        /** The caller's key may not use the model or route it named. */
        FORBIDDEN(false),
        /** Serving the request could take its key or workflow past a budget. */
        BUDGET_EXCEEDED(false),
        /** The caller's key is at a rate or concurrency limit; retry after the time given. */
        RATE_LIMITED(false),
        /** The store that keeps the caller's budgets and limits cannot be reached: they fail closed. */
        STORE_UNAVAILABLE(false);

        private final boolean retriable;

        Failure(boolean retriable) {
            this.retriable = retriable;
        }

        /** Whether another replica or model may succeed. */
        public boolean retriable() {
            return retriable;
        }

        /**
         * What an HTTP error status from an OpenAI-compatible server means: 429 overloaded, 401 and
         * 403 our credentials refused, 5xx the server failed, another 4xx the request refused;
         * anything else is not a valid answer. The one place where a status decides retrying.
         */
        public static Failure ofHttpStatus(int status) {
            if (status == 429) {
                return OVERLOADED;
            }
            if (status == 401 || status == 403) {
                return UNAUTHORIZED;
            }
            if (status >= 500 && status <= 599) {
                return UPSTREAM_ERROR;
            }
            return status >= 400 && status <= 499 ? REJECTED : BAD_RESPONSE;
        }
    }

    private final Failure failure;
    private final String param;
    private final String code;
    private final int upstreamStatus;
    private final String upstreamBody;
    private final Duration retryAfter;
    private final String detail;

    private MeshException(Failure failure, String message, String param, String code, int upstreamStatus,
                          String upstreamBody, Duration retryAfter, Throwable cause) {
        this(failure, message, param, code, upstreamStatus, upstreamBody, retryAfter, cause, null);
    }

    private MeshException(Failure failure, String message, String param, String code, int upstreamStatus,
                          String upstreamBody, Duration retryAfter, Throwable cause, String detail) {
        super(message, cause, false, false);
        this.detail = detail;
        this.failure = failure;
        this.param = param;
        this.code = code;
        this.upstreamStatus = upstreamStatus;
        this.upstreamBody = upstreamBody;
        this.retryAfter = retryAfter;
    }

    /** A failure without an upstream response. */
    public static MeshException of(Failure failure, String message, Throwable cause) {
        return new MeshException(failure, message, null, null, 0, null, null, cause);
    }

    /** A failure of the gateway's own, with a hint of when to try again. */
    public static MeshException of(Failure failure, String message, Throwable cause, Duration retryAfter) {
        return new MeshException(failure, message, null, null, 0, null, retryAfter, cause);
    }

    /** No replica or engine can take the request now; try again after {@code retryAfter}. */
    public static MeshException unavailable(String message, Duration retryAfter) {
        return new MeshException(Failure.UNAVAILABLE, message, null, null, 0, null, retryAfter, null);
    }

    /** A failure carried by an upstream HTTP response. */
    public static MeshException upstream(Failure failure, String message, int status, String body) {
        return new MeshException(failure, message, null, null, status, body, null, null);
    }

    /** The request cannot be served as written; {@code param} names the field at fault, or is null. */
    public static MeshException invalid(String param, String message) {
        return new MeshException(Failure.INVALID_REQUEST, message, param, null, 0, null, null, null);
    }

    /** The request cannot be served as written, with a machine-readable code such as {@code context_length_exceeded}. */
    public static MeshException invalid(String param, String code, String message) {
        return new MeshException(Failure.INVALID_REQUEST, message, param, code, 0, null, null, null);
    }

    /** The model cannot do what the request asks in {@code param}. */
    public static MeshException unsupported(String param, String message) {
        return new MeshException(Failure.UNSUPPORTED, message, param, null, 0, null, null, null);
    }

    /** The request names no model or route of the portfolio. */
    public static MeshException modelNotFound(String name) {
        return new MeshException(Failure.MODEL_NOT_FOUND, "The model '" + Quote.clip(name) + "' does not exist in this portfolio;"
                + " GET /v1/models lists those that do.", "model", null, 0, null, null, null);
    }

    /** The same failure naming the request parameter at fault. */
    public MeshException withParam(String name) {
        return new MeshException(failure, getMessage(), name, code, upstreamStatus, upstreamBody, retryAfter, getCause(),
                detail);
    }

    /** The same failure with what only the operator should read: the replica, the upstream's words. */
    public MeshException withDetail(String operatorDetail) {
        return new MeshException(failure, getMessage(), param, code, upstreamStatus, upstreamBody, retryAfter, getCause(),
                operatorDetail);
    }

    /** What the operator's log gets beyond the message (the replica, what the upstream sent), when known. */
    public Optional<String> detail() {
        return Optional.ofNullable(detail);
    }

    /** What happened. */
    public Failure failure() {
        return failure;
    }

    /** Whether another replica or model may succeed. */
    public boolean retriable() {
        return failure.retriable();
    }

    /** The request parameter at fault, when one is. */
    public Optional<String> param() {
        return Optional.ofNullable(param);
    }

    /** A machine-readable code more precise than the failure, when there is one. */
    public Optional<String> code() {
        return Optional.ofNullable(code);
    }

    /** The upstream's HTTP status, 0 when there was no response. */
    public int upstreamStatus() {
        return upstreamStatus;
    }

    /** The upstream's response body, when it sent one. */
    public Optional<String> upstreamBody() {
        return Optional.ofNullable(upstreamBody);
    }

    /** When the caller may try again, when known. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
