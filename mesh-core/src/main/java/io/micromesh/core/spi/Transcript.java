package io.micromesh.core.spi;

import java.util.List;

/**
 * What a speech engine heard.
 *
 * @param text     the whole text
 * @param segments stretches of speech between pauses, in order
 * @param seconds  the audio's duration
 */
public record Transcript(String text, List<Segment> segments, double seconds) {

    /** A stretch of speech, with its words when the engine gives them. */
    public record Segment(double start, double end, String text, List<Word> words) {
    }

    /** A word with its time and the engine's confidence in it (0 to 1). */
    public record Word(String word, double start, double end, double confidence) {
    }
}
