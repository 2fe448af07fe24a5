package io.micromesh.jobs;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.micromesh.api.Json;
import io.micromesh.api.JsonBody;
import io.micromesh.api.MultipartForm;
import io.micromesh.core.MeshException;
import io.micromesh.engines.http.WebClients;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * Sends a job's requests to an OpenAI-compatible server ({@code --url}) over HTTP with Helidon's
 * blocking WebClient and pooled keep-alive connections, one per request in flight: the client the
 * gateway itself uses upstream, measured 2.2 times the JDK's {@code HttpClient} in requests per CPU
 * second (docs/benchmarks.md). Each request carries {@code x-mesh-priority: batch} and
 * {@code x-mesh-item-id}; a 429 or 503's {@code Retry-After} is handed to the job's retry policy.
 */
public final class HttpItemSender implements ItemSender {

    /** The error code of a gateway's 429 when the caller's budget is used up (not a load to wait out). */
    private static final String BUDGET_EXCEEDED = "budget_exceeded";


    private final String base;
    private final Optional<String> authorization;
    private final Http1Client http;

    /**
     * @param base        the API's base URL, ending in {@code /v1}
     * @param apiKey      bearer token, or null
     * @param connections keep-alive connections to keep (the job's concurrency)
     * @param timeout     longest wait for an answer
     */
    public HttpItemSender(URI base, String apiKey, int connections, Duration timeout) {
        String text = base.toString();
        this.base = text.endsWith("/v1") ? text.substring(0, text.length() - 3) : text;
        this.authorization = Optional.ofNullable(apiKey).filter(k -> !k.isBlank()).map(k -> "Bearer " + k);
        this.http = WebClients.pooled(Duration.ofSeconds(10), timeout, connections);
    }

    @Override
    public Reply send(Request request) {
        String path;
        String contentType;
        byte[] body;
        switch (request) {
            case Request.Json json -> {
                path = json.path();
                contentType = "application/json";
                body = Json.bytes(json.body());
            }
            case Request.Audio audio -> {
                MultipartForm form = new MultipartForm().file("file", audio.fileName(), "audio/wav", audio.audio())
                        .field("model", audio.model()).field("response_format", "verbose_json")
                        .field("timestamp_granularities[]", "segment").field("timestamp_granularities[]", "word");
                path = "/v1/audio/transcriptions";
                contentType = form.contentType();
                body = form.bytes();
            }
        }
        Http1ClientRequest post = http.post().uri(base + path)
                .header(HeaderNames.CONTENT_TYPE, contentType)
                .header(HeaderNames.ACCEPT, "application/json")
                .header(HeaderNames.create("x-mesh-priority"), "batch")
                .header(HeaderNames.create("x-mesh-item-id"), request.itemId());
        authorization.ifPresent(value -> post.header(HeaderNames.AUTHORIZATION, value));
        int status;
        byte[] answer;
        Optional<Duration> retryAfter;
        String requestId;
        try (HttpClientResponse response = post.submit(body)) {
            status = response.status().code();
            requestId = response.headers().first(HeaderNames.create("x-request-id")).orElse(null);
            retryAfter = response.headers().first(HeaderNames.RETRY_AFTER).flatMap(HttpItemSender::seconds);
            answer = response.inputStream().readAllBytes();
        } catch (IOException | RuntimeException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new CancellationException("interrupted");  // not journaled: stays pending for a resume
            }
            // the client reports refused connections and timeouts unchecked: to the job they are all transport failures
            Throwable cause = e instanceof UncheckedIOException unchecked ? unchecked.getCause() : e;
            return new Reply.Failed(-1, "connection_failed",
                    cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage(), true, Optional.empty());
        }
        if (status == 200) {
            return answered(answer, requestId);
        }
        String text = new String(answer, StandardCharsets.UTF_8);
        JsonNode parsed = InputLines.parseObject(text);
        String message = parsed != null && parsed.path("error").path("message").isTextual()
                ? parsed.path("error").path("message").asText() : text;
        if (status == 429 && parsed != null && parsed.path("error").path("code").asText().equals(BUDGET_EXCEEDED)) {
            return new Reply.Refused(message);
        }
        return new Reply.Failed(status, "http_" + status, message, MeshException.Failure.ofHttpStatus(status).retriable(),
                retryAfter);
    }

    /** An answer kept as its bytes, with the figures of its {@code usage} read on the way (no tree built). */
    private static Reply answered(byte[] answer, String requestId) {
        double cost = 0;
        double energy = 0;
        long tokens = 0;
        try (JsonParser p = Json.mapper().createParser(answer)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                boolean usage = p.currentName().equals("usage");
                if (p.nextToken() == JsonToken.START_OBJECT && usage) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        boolean number = p.nextToken().isNumeric();
                        switch (field) {
                            case "cost_usd" -> cost = number ? p.getValueAsDouble() : 0;
                            case "energy_wh" -> energy = number ? p.getValueAsDouble() : 0;
                            case "prompt_tokens", "completion_tokens" -> tokens += number ? p.getValueAsLong() : 0;
                            default -> p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw new IOException("more than one value");
            }
        } catch (IOException e) {
            return new Reply.Failed(200, "bad_response", "the answer is not a JSON object", false, Optional.empty());
        }
        return new Reply.Answered(JsonBody.of(answer), cost, energy, tokens, requestId);
    }

    /** A {@code Retry-After} in seconds (the HTTP-date form is not used by the servers micromesh talks to). */
    private static Optional<Duration> seconds(String value) {
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value.strip()))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<String> models() throws IOException {
        Http1ClientRequest request = http.get().uri(base + "/v1/models");
        authorization.ifPresent(value -> request.header(HeaderNames.AUTHORIZATION, value));
        String body;
        int status;
        try (HttpClientResponse response = request.request()) {
            status = response.status().code();
            body = new String(response.inputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            throw new IOException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e);
        }
        JsonNode list = InputLines.parseObject(body);
        if (status != 200 || list == null) {
            throw new IOException("GET /v1/models answered " + status);
        }
        List<String> ids = new ArrayList<>();
        list.path("data").forEach(m -> ids.add(m.path("id").asText()));
        return ids;
    }

    @Override
    public void close() {
        http.closeResource();
    }
}
