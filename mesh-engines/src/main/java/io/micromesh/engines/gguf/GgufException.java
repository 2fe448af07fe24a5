package io.micromesh.engines.gguf;

/** A file that is not a usable GGUF model; the message names the file and what is wrong with it. */
public final class GgufException extends RuntimeException {

    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
