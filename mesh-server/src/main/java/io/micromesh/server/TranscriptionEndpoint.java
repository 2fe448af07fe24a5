package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.media.multipart.MultiPart;
import io.helidon.http.media.multipart.ReadablePart;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.config.Capability;
import io.micromesh.core.spi.BackendException;
import io.micromesh.core.spi.PcmAudio;
import io.micromesh.core.spi.SpeechBackend;
import io.micromesh.core.spi.Transcript;
import io.micromesh.engines.audio.AudioDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code POST /v1/audio/transcriptions} in OpenAI's shape: a multipart form with {@code file},
 * {@code model}, optional {@code language}, {@code prompt}, {@code response_format} ({@code json},
 * {@code text}, {@code verbose_json}, {@code srt}, {@code vtt}) and {@code timestamp_granularities[]}
 * ({@code segment}, {@code word}). The file is decoded and resampled here (bad audio is a 400 before
 * any engine sees it), then transcribed by the model's speech backend; {@code usage} reports the
 * audio's seconds, and the cost and energy like every answer.
 */
final class TranscriptionEndpoint {

    /** The longest audio accepted, in seconds. */
    static final double MAX_SECONDS = 2 * 3600;
    private static final Set<String> FORMATS = Set.of("json", "text", "verbose_json", "srt", "vtt");

    private final Portfolio portfolio;
    private final long maxBytes;

    TranscriptionEndpoint(Portfolio portfolio, long maxBytes) {
        this.portfolio = portfolio;
        this.maxBytes = maxBytes;
    }

    /** The form's fields. */
    private record Form(byte[] file, String model, String language, String prompt, String format, Set<String> granularities) {
    }

    void handle(ServerRequest req, ServerResponse res) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        exchange.markInference();
        Form form = read(req);
        ServedModel model = portfolio.model(form.model()).orElseThrow(() -> ApiException.modelNotFound(form.model()));
        exchange.model(model.id());
        if (!model.spec().capabilities().contains(Capability.TRANSCRIPTION) || !(model.backend() instanceof SpeechBackend speech)) {
            throw ApiException.invalidRequest("model", "model '" + model.id() + "' does not transcribe audio; models that do"
                    + " have the capability transcription (GET /v1/models)");
        }
        PcmAudio audio;
        try {
            audio = AudioDecoder.decode(form.file(), speech.sampleRate(), MAX_SECONDS);
        } catch (AudioDecoder.AudioException e) {
            throw ApiException.invalidRequest("file", "invalid_audio", e.getMessage());
        }
        long started = System.nanoTime();
        Transcript transcript;
        try {
            transcript = speech.transcribe(audio, form.language(), form.prompt());
        } catch (BackendException e) {
            throw Failures.toApi(e);
        }
        double busySeconds = (System.nanoTime() - started) / 1e9;
        ObjectNode usage = Json.object().put("type", "duration").put("seconds", Math.round(transcript.seconds() * 1000) / 1000.0)
                .put("cost_usd", 0.0).put("energy_wh", energyWh(model, busySeconds));
        res.header(Responses.MESH_MODEL, model.id());
        switch (form.format()) {
            case "text" -> text(res, "text/plain; charset=utf-8", transcript.text() + "\n");
            case "srt" -> text(res, "application/x-subrip; charset=utf-8", subtitles(transcript, false));
            case "vtt" -> text(res, "text/vtt; charset=utf-8", subtitles(transcript, true));
            case "verbose_json" -> Responses.json(res, 200, verbose(transcript, form, usage));
            default -> {
                ObjectNode body = Json.object().put("text", transcript.text());
                body.set("usage", usage);
                Responses.json(res, 200, body);
            }
        }
    }

    /**
     * Energy from the time the engine was busy and the model's hardware share: one core's part of
     * its watts for as long as the transcription took (Vosk runs a transcription on one thread).
     */
    private static double energyWh(ServedModel model, double busySeconds) {
        return model.spec().hardwareShare()
                .filter(h -> h.watts() != null && h.cores() != null)
                .map(h -> h.watts() / h.cores() * busySeconds / 3600)
                .orElse(0.0);
    }

    private Form read(ServerRequest req) {
        String type = req.headers().contentType().map(Object::toString).orElse("");
        if (!type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw ApiException.invalidRequest(null, "POST /v1/audio/transcriptions takes multipart/form-data with a file"
                    + " and a model; the Content-Type was '" + type + "'");
        }
        byte[] file = null;
        String model = null;
        String language = null;
        String prompt = null;
        String format = "json";
        Set<String> granularities = new HashSet<>();
        MultiPart parts;
        try {
            parts = req.content().as(MultiPart.class);
        } catch (RuntimeException e) {
            throw ApiException.invalidRequest(null, "the multipart body cannot be read: " + e.getMessage());
        }
        long total = 0;
        while (parts.hasNext()) {
            ReadablePart part = parts.next();
            byte[] value = bytes(part, maxBytes - total);
            total += value.length;
            switch (part.name()) {
                case "file" -> file = value;
                case "model" -> model = string(value);
                case "language" -> language = string(value);
                case "prompt" -> prompt = string(value);
                case "response_format" -> format = string(value);
                case "timestamp_granularities[]", "timestamp_granularities" -> granularities.add(string(value));
                default -> {
                    // other OpenAI fields (temperature, chunking_strategy, include[]) are accepted and unused
                }
            }
        }
        if (file == null) {
            throw ApiException.invalidRequest("file", "file is required: the audio to transcribe");
        }
        if (model == null || model.isBlank()) {
            throw ApiException.invalidRequest("model", "model is required: a model with the capability transcription");
        }
        if (!FORMATS.contains(format)) {
            throw ApiException.invalidRequest("response_format", "response_format '" + format + "' is not one of "
                    + List.of("json", "text", "verbose_json", "srt", "vtt"));
        }
        for (String g : granularities) {
            if (!g.equals("word") && !g.equals("segment")) {
                throw ApiException.invalidRequest("timestamp_granularities", "timestamp_granularities '" + g
                        + "' is not word or segment");
            }
        }
        return new Form(file, model.strip(), blankToNull(language), blankToNull(prompt), format, granularities);
    }

    private static byte[] bytes(ReadablePart part, long left) {
        try (InputStream in = part.inputStream()) {
            byte[] value = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, Math.max(0, left) + 1));
            if (value.length > left) {
                throw ApiException.tooLarge(left);
            }
            return value;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the multipart body", e);
        }
    }

    private static String string(byte[] value) {
        return new String(value, StandardCharsets.UTF_8).strip();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static void text(ServerResponse res, String type, String body) {
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, type);
        res.send(body.getBytes(StandardCharsets.UTF_8));
    }

    private static ObjectNode verbose(Transcript t, Form form, ObjectNode usage) {
        ObjectNode body = Json.object().put("task", "transcribe")
                .put("language", form.language() == null ? "english" : form.language())
                .put("duration", Math.round(t.seconds() * 1000) / 1000.0).put("text", t.text());
        boolean words = form.granularities().contains("word");
        boolean segments = form.granularities().isEmpty() || form.granularities().contains("segment");
        if (segments) {
            ArrayNode list = body.putArray("segments");
            for (int i = 0; i < t.segments().size(); i++) {
                Transcript.Segment s = t.segments().get(i);
                list.addObject().put("id", i).put("seek", 0).put("start", s.start()).put("end", s.end()).put("text", s.text())
                        .put("temperature", 0.0).put("avg_logprob", 0.0).put("compression_ratio", 0.0)
                        .put("no_speech_prob", 0.0).putArray("tokens");
            }
        }
        if (words) {
            ArrayNode list = body.putArray("words");
            t.segments().forEach(s -> s.words().forEach(w -> list.addObject().put("word", w.word()).put("start", w.start())
                    .put("end", w.end())));
        }
        body.set("usage", usage);
        return body;
    }

    /** SubRip ({@code 00:00:01,500}) or WebVTT ({@code 00:00:01.500}) cues, one per segment. */
    static String subtitles(Transcript t, boolean vtt) {
        StringBuilder out = new StringBuilder(vtt ? "WEBVTT\n\n" : "");
        for (int i = 0; i < t.segments().size(); i++) {
            Transcript.Segment s = t.segments().get(i);
            if (!vtt) {
                out.append(i + 1).append('\n');
            }
            out.append(time(s.start(), vtt)).append(" --> ").append(time(s.end(), vtt)).append('\n').append(s.text())
                    .append("\n\n");
        }
        return out.toString();
    }

    private static String time(double seconds, boolean vtt) {
        long ms = Math.round(seconds * 1000);
        return String.format(Locale.ROOT, "%02d:%02d:%02d%s%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60,
                vtt ? "." : ",", ms % 1000);
    }
}
