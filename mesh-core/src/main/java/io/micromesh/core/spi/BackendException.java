package io.micromesh.core.spi;

import java.time.Duration;
import java.util.Optional;

/**
 * A backend could not produce an answer. {@link Failure#retriable()} tells a caller whether another
 * replica or model may succeed where this one failed.
 */
public final class BackendException extends RuntimeException {

    /** Why a backend call failed. */
    public enum Failure {
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
        /** The upstream answered something that is not a valid OpenAI response. */
        BAD_RESPONSE(false),
        /** The upstream refused the request as invalid (4xx other than 429): the caller's mistake. */
        REJECTED(false),
        /** The upstream refused our credentials (401/403): a configuration mistake. */
        UNAUTHORIZED(false),
        /** No replica or engine can take the request now. */
        UNAVAILABLE(false),
        /** The replica's queue is full: another replica, or another model of a route, may have room. */
        QUEUE_FULL(true),
        /** The request's deadline passed while it waited for a place. */
        DEADLINE_EXCEEDED(false);

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
    private final int upstreamStatus;
    private final String upstreamBody;
    private final Duration retryAfter;

    private BackendException(Failure failure, String message, int upstreamStatus, String upstreamBody,
                             Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.failure = failure;
        this.upstreamStatus = upstreamStatus;
        this.upstreamBody = upstreamBody;
        this.retryAfter = retryAfter;
    }

    /** A failure without an upstream response. */
    public static BackendException of(Failure failure, String message, Throwable cause) {
        return new BackendException(failure, message, 0, null, null, cause);
    }

    /** A failure of the gateway's own, with a hint of when to try again. */
    public static BackendException of(Failure failure, String message, Throwable cause, Duration retryAfter) {
        return new BackendException(failure, message, 0, null, retryAfter, cause);
    }

    /** A failure without an upstream response, with a hint of when to try again. */
    public static BackendException unavailable(String message, Duration retryAfter) {
        return new BackendException(Failure.UNAVAILABLE, message, 0, null, retryAfter, null);
    }

    /** A failure carried by an upstream HTTP response. */
    public static BackendException upstream(Failure failure, String message, int status, String body) {
        return new BackendException(failure, message, status, body, null, null);
    }

    /** Why it failed. */
    public Failure failure() {
        return failure;
    }

    /** Whether another replica or model may succeed. */
    public boolean retriable() {
        return failure.retriable();
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
