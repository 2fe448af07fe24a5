package io.micromesh.engines.vosk;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.core.spi.PcmAudio;
import io.micromesh.core.spi.Transcript;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vosk.LibVosk;
import org.vosk.LogLevel;
import org.vosk.Model;
import org.vosk.Recognizer;

/**
 * Speech to text with Vosk (Kaldi) in-process: one model loaded once, a recognizer per audio (the
 * model is shared and thread-safe, recognizers are not). Words come with their times and confidence;
 * segments end where Vosk finds a pause. Blocking and native: call it from platform threads.
 */
public final class VoskTranscriber implements AutoCloseable {

    /** The rate Vosk's small models are trained at; audio is resampled to it. */
    public static final float SAMPLE_RATE = 16_000f;
    /** Bytes fed to the recognizer at a time: a quarter of a second. */
    private static final int CHUNK = 8_000;

    private final Model model;

    private VoskTranscriber(Model model) {
        this.model = model;
    }

    /**
     * Loads a model folder.
     *
     * @throws UncheckedIOException when Vosk cannot load it
     */
    public static VoskTranscriber load(Path folder) {
        LibVosk.setLogLevel(LogLevel.WARNINGS);
        try {
            return new VoskTranscriber(new Model(folder.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("Vosk cannot load the model in " + folder + ": " + e.getMessage(), e);
        }
    }

    /** Transcribes mono 16-bit audio at {@link #SAMPLE_RATE}. */
    public Transcript transcribe(PcmAudio audio) {
        if (audio.sampleRate() != SAMPLE_RATE) {
            throw new IllegalArgumentException("Vosk takes audio at " + SAMPLE_RATE + " Hz, got " + audio.sampleRate());
        }
        List<Transcript.Segment> segments = new ArrayList<>();
        try (Recognizer recognizer = new Recognizer(model, SAMPLE_RATE)) {
            recognizer.setWords(true);
            byte[] samples = audio.samples();
            for (int at = 0; at < samples.length; at += CHUNK) {
                int length = Math.min(CHUNK, samples.length - at);
                byte[] chunk = at == 0 && length == samples.length ? samples : java.util.Arrays.copyOfRange(samples, at, at + length);
                if (recognizer.acceptWaveForm(chunk, length)) {
                    segment(recognizer.getResult(), segments);
                }
            }
            segment(recognizer.getFinalResult(), segments);
        } catch (IOException e) {
            throw new UncheckedIOException("Vosk cannot start a recognizer: " + e.getMessage(), e);
        }
        String text = String.join(" ", segments.stream().map(Transcript.Segment::text).toList());
        return new Transcript(text, segments, audio.seconds());
    }

    private static void segment(String json, List<Transcript.Segment> into) {
        JsonNode result;
        try {
            result = Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("Vosk answered something that is not JSON: " + json, e);
        }
        String text = result.path("text").asText("").strip();
        if (text.isEmpty()) {
            return;
        }
        List<Transcript.Word> words = new ArrayList<>();
        result.path("result").forEach(w -> words.add(new Transcript.Word(w.path("word").asText(), w.path("start").asDouble(),
                w.path("end").asDouble(), w.path("conf").asDouble(1))));
        double start = words.isEmpty() ? 0 : words.getFirst().start();
        double end = words.isEmpty() ? 0 : words.getLast().end();
        into.add(new Transcript.Segment(start, end, text, List.copyOf(words)));
    }

    @Override
    public void close() {
        model.close();
    }
}
