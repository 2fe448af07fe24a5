package io.micromesh.api;

/** A client's value quoted in a message, cut to a readable length: a client may send megabytes. */
public final class Quote {

    /** The most characters of a value a message quotes. */
    public static final int LIMIT = 64;

    private Quote() {
    }

    /** The text, or its first characters and its length when it is longer than {@value #LIMIT}. */
    public static String clip(String text) {
        return clip(text, LIMIT);
    }

    /** The text, or its first characters and its length when it is longer than {@code limit}. */
    public static String clip(String text, int limit) {
        return text.length() <= limit ? text : text.substring(0, limit - 3) + "... (" + text.length() + " characters)";
    }
}
