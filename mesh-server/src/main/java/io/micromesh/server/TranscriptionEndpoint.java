package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiException;
import io.micromesh.api.Quote;
import io.micromesh.api.Json;
import io.micromesh.core.MeshException;
import io.micromesh.core.dispatch.Admission;
import io.micromesh.core.dispatch.AudioCall;
import io.micromesh.core.dispatch.Dispatcher;
import io.micromesh.core.dispatch.Outcome;
import io.micromesh.core.spi.PcmAudio;
import io.micromesh.core.spi.Transcript;
import io.micromesh.engines.audio.AudioDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code POST /v1/audio/transcriptions} in OpenAI's shape: a multipart form with {@code file},
 * {@code model}, optional {@code language}, {@code prompt}, {@code response_format} ({@code json},
 * {@code text}, {@code verbose_json}, {@code srt}, {@code vtt}) and {@code timestamp_granularities[]}
 * ({@code segment}, {@code word}). {@code model} is a model with the capability {@code transcription}
 * or a route over such models ({@code fixed}, {@code fallback} or {@code rules}: policies that need
 * no text to choose), whose next candidate takes the audio when one fails retriably. The file is
 * decoded and resampled here (bad audio is a 400 before any engine sees it), then transcribed by
 * the model's speech backend, all through the {@link Dispatcher}; {@code usage} reports the audio's
 * seconds, the cost (the model's price per audio minute) and the energy (its busy time on its share
 * of the cores).
 */
final class TranscriptionEndpoint {

    /** The longest audio accepted, in seconds. */
    static final double MAX_SECONDS = 2 * 3600;
    private static final Set<String> FORMATS = Set.of("json", "text", "verbose_json", "srt", "vtt");

    private final Dispatcher dispatcher;
    private final long maxBytes;
    private final RequestSpans spans;

    TranscriptionEndpoint(Dispatcher dispatcher, long maxBytes, RequestSpans spans) {
        this.dispatcher = dispatcher;
        this.maxBytes = maxBytes;
        this.spans = spans;
    }

    /** The form's fields. */
    private record Form(byte[] file, String model, String language, String prompt, String format, Set<String> granularities) {
    }

    void handle(ServerRequest req, ServerResponse res) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        exchange.markInference();
        Form form = read(req);
        Admission admission = new Admission(dispatcher.defaultLane(form.model()), Long.MAX_VALUE, null,
                Admissions.correlation(req));
        io.opentelemetry.api.trace.Span span = spans.start(req, "transcription", form.model());
        Outcome outcome;
        try (io.opentelemetry.context.Scope ignored = span.makeCurrent()) {
            outcome = dispatcher.transcribe(new AudioCall(form.model(), rate -> decode(form.file(), rate), form.language(),
                    form.prompt(), admission, exchange.id(), Callers.of(req, exchange),
                    Callers.task(req), exchange.startNanos()));
            exchange.settle(outcome);
        } finally {
            RequestSpans.finish(span, exchange.usage());
        }
        switch (outcome) {
            case Outcome.Transcribed heard -> answer(heard, form, res);
            case Outcome.Failed failed -> throw Responses.failed(res, failed);
            default -> throw new IllegalStateException("a transcription ended as " + outcome);
        }
    }

    /** The upload at an engine's rate; bad audio is a 400 before any engine sees it. */
    static PcmAudio decode(byte[] file, float sampleRate) {
        try {
            return AudioDecoder.decode(file, sampleRate, MAX_SECONDS);
        } catch (AudioDecoder.AudioException e) {
            throw MeshException.invalid("file", "invalid_audio", e.getMessage());
        }
    }

    private void answer(Outcome.Transcribed heard, Form form, ServerResponse res) {
        Transcript transcript = heard.transcript();
        ObjectNode usage = heard.usageJson();
        Responses.served(res, heard.served());
        switch (form.format()) {
            case "text" -> text(res, "text/plain; charset=utf-8", transcript.text() + "\n");
            case "srt" -> text(res, "application/x-subrip; charset=utf-8", subtitles(transcript, false));
            case "vtt" -> text(res, "text/vtt; charset=utf-8", subtitles(transcript, true));
            case "verbose_json" -> {
                ObjectNode body = transcript.verboseJson(form.language(),
                        form.granularities().isEmpty() || form.granularities().contains("segment"),
                        form.granularities().contains("word"));
                body.set("usage", usage);
                Responses.json(res, 200, body);
            }
            default -> {
                ObjectNode body = Json.object().put("text", transcript.text());
                body.set("usage", usage);
                Responses.json(res, 200, body);
            }
        }
    }

    private Form read(ServerRequest req) {
        byte[] file = null;
        String model = null;
        String language = null;
        String prompt = null;
        String format = "json";
        Set<String> granularities = new HashSet<>();
        for (FormParts.Part part : FormParts.read(req, maxBytes, "/v1/audio/transcriptions")) {
            switch (part.name()) {
                case "file" -> file = part.value();
                case "model" -> model = part.text();
                case "language" -> language = part.text();
                case "prompt" -> prompt = part.text();
                case "response_format" -> format = part.text();
                case "timestamp_granularities[]", "timestamp_granularities" -> granularities.add(part.text());
                case "temperature" -> temperature(part.text());
                case "stream" -> {
                    if (!part.text().strip().equals("false")) {
                        throw ApiException.invalidRequest("stream", "stream is not supported for transcriptions here;"
                                + " send false or leave it out");
                    }
                }
                default -> {
                    // other OpenAI fields (chunking_strategy, include[]) are accepted and unused
                }
            }
        }
        if (language != null && !language.isBlank() && !language.strip().matches("[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?")) {
            throw ApiException.invalidRequest("language", "language '" + Quote.clip(language) + "' is not an ISO 639-1"
                    + " code such as en or fr");
        }
        if (file == null) {
            throw ApiException.invalidRequest("file", "file is required: the audio to transcribe");
        }
        if (model == null || model.isBlank()) {
            throw ApiException.invalidRequest("model", "model is required: a model with the capability transcription");
        }
        if (!FORMATS.contains(format)) {
            throw ApiException.invalidRequest("response_format", "response_format '" + Quote.clip(format) + "' is not one of "
                    + List.of("json", "text", "verbose_json", "srt", "vtt"));
        }
        for (String g : granularities) {
            if (!g.equals("word") && !g.equals("segment")) {
                throw ApiException.invalidRequest("timestamp_granularities", "timestamp_granularities '" + Quote.clip(g)
                        + "' is not word or segment");
            }
        }
        return new Form(file, model.strip(), blankToNull(language), blankToNull(prompt), format, granularities);
    }

    /** OpenAI's sampling temperature for transcription: a number from 0 to 1 (unused by the engines here). */
    private static void temperature(String text) {
        double value;
        try {
            value = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            value = Double.NaN;
        }
        if (!(value >= 0 && value <= 1)) {
            throw ApiException.invalidRequest("temperature", "temperature must be a number from 0 to 1, got '"
                    + Quote.clip(text) + "'");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static void text(ServerResponse res, String type, String body) {
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, type);
        res.send(body.getBytes(StandardCharsets.UTF_8));
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
