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
 * Speech to text with Vosk (Kaldi) in-process: one model loaded once, a recognizer per thread,
 * reset between audios (the model is shared and thread-safe, recognizers are not, and making one
 * costs more than transcribing a short clip). Words come with their times and confidence; segments
 * end where Vosk finds a pause. Blocking and native: call it from a fixed pool of platform threads
 * (each thread keeps a recognizer until {@link #close()}).
 */
public final class VoskTranscriber implements AutoCloseable {

    /** The rate Vosk's small models are trained at; audio is resampled to it. */
    public static final float SAMPLE_RATE = 16_000f;
    /** Bytes fed to the recognizer at a time: a quarter of a second. */
    private static final int CHUNK = 8_000;

    private final Model model;
    private final ThreadLocal<Recognizer> recognizers = new ThreadLocal<>();
    /** Every recognizer made (for closing them with the model), with the seconds of audio it has heard. */
    private final java.util.Map<Recognizer, Double> fed = new java.util.concurrent.ConcurrentHashMap<>();

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
        Recognizer recognizer = recognizer();
        // a reset recognizer goes on counting time from the audio it heard before: take that off
        double offset = fed.getOrDefault(recognizer, 0.0);
        boolean clean = false;
        try {
            byte[] samples = audio.samples();
            for (int at = 0; at < samples.length; at += CHUNK) {
                int length = Math.min(CHUNK, samples.length - at);
                byte[] chunk = at == 0 && length == samples.length ? samples : java.util.Arrays.copyOfRange(samples, at, at + length);
                if (recognizer.acceptWaveForm(chunk, length)) {
                    segment(recognizer.getResult(), offset, segments);
                }
            }
            segment(recognizer.getFinalResult(), offset, segments);
            recognizer.reset();
            fed.put(recognizer, offset + audio.seconds());
            clean = true;
        } finally {
            if (!clean) {  // a recognizer left mid-utterance is not reused
                recognizers.remove();
                fed.remove(recognizer);
                recognizer.close();
            }
        }
        String text = String.join(" ", segments.stream().map(Transcript.Segment::text).toList());
        return new Transcript(text, segments, audio.seconds());
    }

    private static void segment(String json, double offset, List<Transcript.Segment> into) {
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
        result.path("result").forEach(w -> words.add(new Transcript.Word(w.path("word").asText(),
                Math.max(0, w.path("start").asDouble() - offset), Math.max(0, w.path("end").asDouble() - offset),
                w.path("conf").asDouble(1))));
        double start = words.isEmpty() ? 0 : words.getFirst().start();
        double end = words.isEmpty() ? 0 : words.getLast().end();
        into.add(new Transcript.Segment(start, end, text, List.copyOf(words)));
    }

    /**
     * This thread's recognizer, made on its first transcription. Making one builds the decoding
     * graph (over a second for the small English model), so each thread keeps its own and resets it
     * between transcriptions instead of paying that for every request.
     */
    private Recognizer recognizer() {
        Recognizer recognizer = recognizers.get();
        if (recognizer == null) {
            try {
                recognizer = new Recognizer(model, SAMPLE_RATE);
            } catch (IOException e) {
                throw new UncheckedIOException("Vosk cannot start a recognizer: " + e.getMessage(), e);
            }
            recognizer.setWords(true);
            recognizers.set(recognizer);
            fed.put(recognizer, 0.0);
        }
        return recognizer;
    }

    /** Frees the model and the recognizers; call it when no transcription runs any more. */
    @Override
    public void close() {
        fed.keySet().forEach(Recognizer::close);
        fed.clear();
        model.close();
    }
}
