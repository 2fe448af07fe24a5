package io.micromesh.api;

/** A client's value quoted in a message, cut to a readable length: a client may send megabytes. */
public final class Quote {

    /** The most characters of a value a message quotes. */
    public static final int LIMIT = 64;

    private Quote() {
    }

    /** The text, or its first characters and its length when it is longer than {@value #LIMIT}. */
    public static String clip(String text) {
        return text.length() <= LIMIT ? text : text.substring(0, LIMIT - 3) + "... (" + text.length() + " characters)";
    }
}
