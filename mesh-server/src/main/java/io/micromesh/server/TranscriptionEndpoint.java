package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.config.Capability;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.routing.Decision;
import io.micromesh.core.routing.RequestFacts;
import io.micromesh.core.routing.Router;
import io.micromesh.core.MeshException;
import io.micromesh.core.spi.PcmAudio;
import io.micromesh.core.spi.SpeechBackend;
import io.micromesh.core.spi.Transcript;
import io.micromesh.core.spi.Usage;
import io.micromesh.engines.audio.AudioDecoder;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code POST /v1/audio/transcriptions} in OpenAI's shape: a multipart form with {@code file},
 * {@code model}, optional {@code language}, {@code prompt}, {@code response_format} ({@code json},
 * {@code text}, {@code verbose_json}, {@code srt}, {@code vtt}) and {@code timestamp_granularities[]}
 * ({@code segment}, {@code word}). {@code model} is a model with the capability {@code transcription}
 * or a route over such models ({@code fixed}, {@code fallback} or {@code rules}: policies that need
 * no text to choose), whose next candidate takes the audio when one fails retriably. The file is
 * decoded and resampled here (bad audio is a 400 before any engine sees it), then transcribed by
 * the model's speech backend; {@code usage} reports the audio's seconds, the cost (the model's price
 * per audio minute) and the energy (its busy time on its share of the cores).
 */
final class TranscriptionEndpoint {

    /** The longest audio accepted, in seconds. */
    static final double MAX_SECONDS = 2 * 3600;
    private static final Set<String> FORMATS = Set.of("json", "text", "verbose_json", "srt", "vtt");
    /** Policies that choose without a request's text, so that they can route audio. */
    private static final List<String> AUDIO_POLICIES = List.of("fixed", "fallback", "rules");

    private final Portfolio portfolio;
    private final Router router;
    private final GatewayMetrics metrics;
    private final long maxBytes;

    TranscriptionEndpoint(Portfolio portfolio, Router router, GatewayMetrics metrics, long maxBytes) {
        this.portfolio = portfolio;
        this.router = router;
        this.metrics = metrics;
        this.maxBytes = maxBytes;
    }

    /** The form's fields. */
    private record Form(byte[] file, String model, String language, String prompt, String format, Set<String> granularities) {
    }

    void handle(ServerRequest req, ServerResponse res) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        exchange.markInference();
        Form form = read(req);
        Decision decision = null;
        List<ServedModel> order;
        Optional<ServedModel> named = portfolio.model(form.model());
        if (named.isPresent()) {
            order = List.of(speaking(named.get()));
        } else {
            decision = decide(form.model(), req);
            order = decision.order();
        }
        PcmAudio audio = null;
        for (int i = 0; i < order.size(); i++) {
            ServedModel model = order.get(i);
            exchange.model(model.id());
            if (decision != null) {
                res.header(Responses.MESH_ROUTE, decision.header(i));
            }
            try {
                if (!(model.backend() instanceof SpeechBackend speech)) {
                    throw MeshException.of(MeshException.Failure.UNAVAILABLE, model.backend().health().detail(), null);
                }
                if (audio == null || audio.sampleRate() != speech.sampleRate()) {
                    audio = decode(form.file(), speech.sampleRate());
                }
                transcribe(model, speech, audio, form, res);
                return;
            } catch (MeshException e) {
                if (i == order.size() - 1 || !e.retriable()) {
                    throw Failures.toApi(e);
                }
                // a fallback chain: the next model takes the audio
            }
        }
    }

    /** A model named directly: it must transcribe. */
    private static ServedModel speaking(ServedModel model) {
        if (!model.spec().capabilities().contains(Capability.TRANSCRIPTION)) {
            throw ApiException.invalidRequest("model", "model '" + model.id() + "' does not transcribe audio; models that do"
                    + " have the capability transcription (GET /v1/models)");
        }
        return model;
    }

    /** The route's decision: only the candidates that transcribe, by a policy that needs no text to choose. */
    private Decision decide(String name, ServerRequest req) {
        RouteSpec route = router.route(name).orElseThrow(() -> ApiException.modelNotFound(name));
        if (!AUDIO_POLICIES.contains(route.policy())) {
            throw ApiException.invalidRequest("model", "route '" + name + "' (policy " + route.policy() + ") chooses by the"
                    + " text of a request; a route for audio uses policy " + String.join(", ", AUDIO_POLICIES));
        }
        RequestFacts facts = RequestFacts.audio(req.headers().first(Responses.MESH_TASK).orElse(null));
        Decision decision = router.decide(name, facts).orElseThrow();
        metrics.routed(decision.route(), decision.policy(), decision.model().id());
        return decision;
    }

    private static PcmAudio decode(byte[] file, float sampleRate) {
        try {
            return AudioDecoder.decode(file, sampleRate, MAX_SECONDS);
        } catch (AudioDecoder.AudioException e) {
            throw ApiException.invalidRequest("file", "invalid_audio", e.getMessage());
        }
    }

    private void transcribe(ServedModel model, SpeechBackend speech, PcmAudio audio, Form form, ServerResponse res) {
        long started = System.nanoTime();
        Transcript transcript = speech.transcribe(audio, form.language(), form.prompt());
        double busySeconds = (System.nanoTime() - started) / 1e9;
        Charge charge = model.tariff().audio(transcript.seconds(), busySeconds, speech.coresPerTranscription());
        metrics.charged(model.id(), Usage.NONE, charge);
        ObjectNode usage = Json.object().put("type", "duration").put("seconds", Math.round(transcript.seconds() * 1000) / 1000.0)
                .put("cost_usd", charge.costUsd()).put("energy_wh", charge.energyWh())
                .put("processing_seconds", Math.round(busySeconds * 1000) / 1000.0);
        res.header(Responses.MESH_MODEL, model.id());
        res.header(Responses.ENERGY_METHOD, charge.method().key());
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
