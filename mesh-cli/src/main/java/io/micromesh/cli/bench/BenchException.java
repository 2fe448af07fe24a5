package io.micromesh.cli.bench;

/** A benchmark that cannot run as asked; the message is one line for the user. */
public final class BenchException extends RuntimeException {

    public BenchException(String message) {
        super(message, null, false, false);
    }
}
