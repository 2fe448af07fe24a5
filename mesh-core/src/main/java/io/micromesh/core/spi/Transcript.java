package io.micromesh.core.spi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import java.util.List;

/**
 * What a speech engine heard.
 *
 * @param text              the whole text
 * @param segments          stretches of speech between pauses, in order
 * @param seconds           the audio's duration
 * @param processingSeconds how long the engine worked on it, not counting a wait for one of its
 *                          threads; NaN when the engine cannot tell (a remote server), and the
 *                          caller's wall-clock time stands for it
 */
public record Transcript(String text, List<Segment> segments, double seconds, double processingSeconds) {

    /** A transcript whose processing time the engine does not know. */
    public Transcript(String text, List<Segment> segments, double seconds) {
        this(text, segments, seconds, Double.NaN);
    }

    /** The same transcript, processed in so many seconds of the engine's own work. */
    public Transcript processedIn(double workSeconds) {
        return new Transcript(text, segments, seconds, workSeconds);
    }

    /** A stretch of speech, with its words when the engine gives them. */
    public record Segment(double start, double end, String text, List<Word> words) {
    }

    /** A word with its time and the engine's confidence in it (0 to 1). */
    public record Word(String word, double start, double end, double confidence) {
    }

    /**
     * OpenAI's {@code verbose_json} transcription body, without its {@code usage}.
     *
     * @param language the language asked for, or null ({@code english})
     * @param segments whether to list the segments
     * @param words    whether to list the words
     */
    public ObjectNode verboseJson(String language, boolean segments, boolean words) {
        ObjectNode body = Json.object().put("task", "transcribe").put("language", language == null ? "english" : language)
                .put("duration", Math.round(seconds * 1000) / 1000.0).put("text", text);
        if (segments) {
            ArrayNode list = body.putArray("segments");
            for (int i = 0; i < this.segments.size(); i++) {
                Segment s = this.segments.get(i);
                list.addObject().put("id", i).put("seek", 0).put("start", s.start()).put("end", s.end()).put("text", s.text())
                        .put("temperature", 0.0).put("avg_logprob", 0.0).put("compression_ratio", 0.0)
                        .put("no_speech_prob", 0.0).putArray("tokens");
            }
        }
        if (words) {
            ArrayNode list = body.putArray("words");
            this.segments.forEach(s -> s.words().forEach(w -> list.addObject().put("word", w.word()).put("start", w.start())
                    .put("end", w.end())));
        }
        return body;
    }
}
