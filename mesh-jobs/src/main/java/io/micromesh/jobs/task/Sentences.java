package io.micromesh.jobs.task;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Splits a transcript into sentences: each line (a speaker's turn) apart, then at a full stop,
 * question or exclamation mark followed by white space. A turn's speaker label stays with its
 * first sentence. Enough for summaries of conversations; not a linguistic sentence splitter.
 */
public final class Sentences {

    /** A speaker's label at the start of a turn: "Agent:", "#Person1#:", "Customer 2:"; group 1 is the label. */
    public static final Pattern SPEAKER = Pattern.compile("^\\s*(#?[A-Za-z][A-Za-z0-9 _#]{0,30}?#?)\\s*:\\s*");

    private static final Pattern END = Pattern.compile("(?<=[.!?])\\s+");

    private Sentences() {
    }

    /** The non-blank sentences of a text, in order. */
    public static List<String> split(String text) {
        List<String> sentences = new ArrayList<>();
        for (String line : text.split("\\R")) {
            for (String sentence : END.split(line.strip())) {
                if (!sentence.isBlank()) {
                    sentences.add(sentence.strip());
                }
            }
        }
        return sentences;
    }
}
