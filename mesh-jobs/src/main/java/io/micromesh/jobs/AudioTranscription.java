package io.micromesh.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.core.spi.PcmAudio;
import io.micromesh.engines.audio.AudioDecoder;
import io.micromesh.jobs.task.BatchTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The transcription stage of a task that takes audio: the audio to transcribe for a record whose
 * audio field names a file, and the transcript
 * made of the answers. A stereo recording with a speaker named per channel is sent as one mono WAV
 * per channel, and the utterances of both ({@link Utterances}: split at pauses by the engine's word
 * times, each a sentence) are merged by time into labelled turns ({@code Agent: ...}), the layout the
 * text steps read; otherwise the file is sent as it is and its utterances become lines, without a
 * speaker (a mono recording does not say who speaks). Answers without word times fall back to
 * their segments.
 * Immutable and thread-safe.
 */
final class AudioTranscription {

    /** What the engines work at; the job resamples split channels to it. */
    private static final float SAMPLE_RATE = 16_000f;
    private static final double MAX_SECONDS = 2 * 3600;

    private final BatchTask.Transcribe settings;
    private final Path baseDir;

    /**
     * @param baseDir where relative audio paths are resolved: the input file's folder
     */
    AudioTranscription(BatchTask.Transcribe settings, Path baseDir) {
        this.settings = settings;
        this.baseDir = baseDir;
    }

    /** Whether a record must be transcribed: it has no text in the transcript's field, and names audio. */
    boolean needed(JsonNode record) {
        JsonNode text = record.get(settings.into());
        return (text == null || text.isNull()) && record.path(settings.from()).isTextual();
    }

    /**
     * Audio to send: a file name, its bytes, the speaker whose channel it holds (null for the whole
     * file), and for a mono call whose speakers are told apart by pitch, its decoded samples (else null).
     */
    record Upload(String fileName, byte[] audio, String speaker, PcmAudio voices) {

        Upload(String fileName, byte[] audio, String speaker) {
            this(fileName, audio, speaker, null);
        }

        /** The transcription request of this upload, for item {@code itemId}. */
        ItemSender.Request request(String itemId, String model) {
            return new ItemSender.Request.Audio(itemId, model, fileName, audio);
        }
    }

    /** The model or route that transcribes. */
    String model() {
        return settings.model();
    }

    /**
     * The requests for a record's audio.
     *
     * @throws IllegalArgumentException when the file is missing, unreadable or not audio
     */
    List<Upload> uploads(JsonNode record) {
        Path file = baseDir.resolve(record.path(settings.from()).asText());
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("audio file " + file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("audio file " + file + " cannot be read: " + e.getMessage());
        }
        if (settings.channels() == null) {
            return List.of(new Upload(file.getFileName().toString(), bytes, null));
        }
        List<PcmAudio> channels;
        try {
            channels = AudioDecoder.channels(bytes, SAMPLE_RATE, MAX_SECONDS);
        } catch (AudioDecoder.AudioException e) {
            throw new IllegalArgumentException("audio file " + file + ": " + e.getMessage());
        }
        if (channels.size() < 2) {
            // mono: one track of both voices, without labels unless their pitch tells them apart
            return List.of(new Upload(file.getFileName().toString(), bytes, null,
                    settings.monoSpeakers().equals("pitch") ? channels.getFirst() : null));
        }
        List<Upload> uploads = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            uploads.add(new Upload("channel-" + c + ".wav", AudioDecoder.wav(channels.get(c)), settings.channels().get(c)));
        }
        return uploads;
    }

    /** A segment of one speaker, for merging channels by time. */
    private record Turn(double start, String speaker, String text) {
    }

    /**
     * The transcript and the stage's figures from the answers, in the order of {@link #uploads}.
     *
     * @return {@code {"text", "figures"}}: the transcript, and the model, audio seconds (of the
     *         recording, not the sum of its channels), processing seconds, cost and energy
     */
    Heard heard(List<Upload> uploads, List<JsonNode> answers) {
        List<Turn> turns = new ArrayList<>();
        double seconds = 0;
        double processing = 0;
        double cost = 0;
        double energy = 0;
        String model = null;
        for (int i = 0; i < answers.size(); i++) {
            JsonNode answer = answers.get(i);
            String speaker = uploads.get(i).speaker();
            JsonNode usage = answer.path("usage");
            seconds = Math.max(seconds, usage.path("seconds").asDouble(answer.path("duration").asDouble(0)));
            processing += usage.path("processing_seconds").asDouble(0);
            cost += usage.path("cost_usd").asDouble(0);
            energy += usage.path("energy_wh").asDouble(0);
            model = settings.model();
            if (answer.path("words").size() > 0) {
                // word times: utterances at pauses, each a sentence, so turns interleave at the pauses
                List<Utterances.Word> words = new ArrayList<>();
                answer.path("words").forEach(w -> words.add(new Utterances.Word(w.path("word").asText(),
                        w.path("start").asDouble(), w.path("end").asDouble())));
                Optional<int[]> voices = uploads.get(i).voices() == null ? Optional.empty()
                        : VoiceTurns.speakers(words, uploads.get(i).voices());
                if (voices.isPresent()) {
                    // a mono call told apart by pitch: each run of one voice's words is that speaker's
                    int[] voice = voices.get();
                    int from = 0;
                    for (int w = 1; w <= words.size(); w++) {
                        if (w == words.size() || voice[w] != voice[from]) {
                            String who = settings.channels().get(voice[from]);
                            for (Utterances.Utterance u : Utterances.split(words.subList(from, w), Utterances.PAUSE_SECONDS)) {
                                turns.add(new Turn(u.start(), who, u.text()));
                            }
                            from = w;
                        }
                    }
                    continue;
                }
                for (Utterances.Utterance u : Utterances.split(words, Utterances.PAUSE_SECONDS)) {
                    turns.add(new Turn(u.start(), speaker, u.text()));
                }
                continue;
            }
            if (answer.path("segments").isEmpty() && !answer.path("text").asText().isBlank()) {
                turns.add(new Turn(0, speaker, answer.path("text").asText().strip()));
            }
            for (JsonNode segment : answer.path("segments")) {
                String text = segment.path("text").asText().strip();
                if (!text.isEmpty()) {
                    turns.add(new Turn(segment.path("start").asDouble(), speaker, text));
                }
            }
        }
        turns.sort(Comparator.comparingDouble(Turn::start));
        StringBuilder text = new StringBuilder();
        String current = null;
        for (Turn turn : turns) {
            if (turn.speaker() != null && turn.speaker().equals(current)) {
                text.append(' ').append(turn.text());  // the same speaker goes on: one turn
                continue;
            }
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append(turn.speaker() == null ? "" : turn.speaker() + ": ").append(turn.text());
            current = turn.speaker();
        }
        ObjectNode figures = Json.object().put("model", model).put("audio_seconds", round(seconds))
                .put("processing_seconds", round(processing))
                .put("real_time_factor", seconds > 0 ? round(processing / seconds) : 0.0)
                .put("cost_usd", cost).put("energy_wh", energy);
        return new Heard(text.toString(), figures, cost, energy);
    }

    /** The transcript and the stage's figures. */
    record Heard(String text, ObjectNode figures, double cost, double energy) {
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
