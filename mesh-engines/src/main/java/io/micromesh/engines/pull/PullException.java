package io.micromesh.engines.pull;

/**
 * A model could not be pulled. The message is one line that names the source or file and says what
 * to do; it is meant to be shown to the user as it is.
 *
 * <p>{@link #retriable()} tells a caller whether trying again later may succeed: a refused or
 * broken connection, a timeout, a 5xx or 429 answer. Those leave the partial download in place, so
 * the next attempt resumes it. A bad source, a missing file, a refused token, a checksum mismatch
 * or a disk error are not retriable.
 */
public final class PullException extends RuntimeException {

    private final boolean retriable;

    PullException(String message, boolean retriable) {
        super(message);
        this.retriable = retriable;
    }

    PullException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    /** Whether the same pull may succeed if tried again later (it then resumes what it has). */
    public boolean retriable() {
        return retriable;
    }
}
