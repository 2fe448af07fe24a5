package io.micromesh.core.spi;

/**
 * The client of a streaming request disconnected. Backends let it pass after releasing their
 * upstream connection; it is not an error of the backend. Stackless: it is routine.
 */
public final class ClientGoneException extends RuntimeException {

    public ClientGoneException(Throwable cause) {
        super("the client disconnected", cause, false, false);
    }
}
