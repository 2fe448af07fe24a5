package io.micromesh.core.spi;

/** A backend that embeds text in-process, which the semantic router uses. Thread-safe, blocking. */
public interface TextEncoder {

    /** The unit-length embedding of a text (too long a text is cut to what the encoder takes). */
    float[] embed(String text);
}
