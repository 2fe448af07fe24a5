package io.micromesh.store;

/** A database could not be used or failed; the message names the database and what went wrong. */
public final class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
