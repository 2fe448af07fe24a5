package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.core.Portfolio;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.outcomes.OutcomeStore;
import io.micromesh.core.routing.Router;
import io.micromesh.engines.Engines;
import io.micromesh.store.JdbcOutcomeStore;
import io.micromesh.testkit.FakeClock;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * A real gateway on an ephemeral loopback port over the portfolio of a YAML text, with a fake
 * clock, probes on the caller's thread, and a plain JDK HTTP client to talk to it.
 */
final class TestGateway implements AutoCloseable {

    final FakeClock clock = new FakeClock();
    final Portfolio portfolio;
    final Gateway gateway;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final java.util.Optional<OutcomeStore> store;

    TestGateway(String yaml) {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse(yaml).withPort(0);
        portfolio = Engines.open(config, clock, Runnable::run);
        store = java.util.Optional.empty();
        gateway = Gateway.start(config.server(), portfolio, Router.over(config.routes(), portfolio), clock);
    }

    /** A gateway whose routes learn into the outcome store {@code mesh.db} under {@code stateDir}. */
    TestGateway(String yaml, java.nio.file.Path stateDir) {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse(yaml).withPort(0);
        portfolio = Engines.open(config, clock, Runnable::run);
        OutcomeStore opened = JdbcOutcomeStore.open(stateDir.resolve("mesh.db"), clock);
        store = java.util.Optional.of(opened);
        gateway = Gateway.start(config.server(), portfolio, Router.over(config.routes(), portfolio, opened), store, clock);
    }

    String url() {
        return "http://127.0.0.1:" + gateway.port();
    }

    /** The response of a POST with a JSON (or any) body, within a 30-second bound. */
    HttpResponse<String> post(String path, String body, String... headers) {
        return post(path, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    HttpResponse<String> post(String path, byte[] body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        // a header given here replaces the default of the same name (a multipart upload's Content-Type)
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.setHeader(headers[i], headers[i + 1]);
        }
        return send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A streamed POST whose body the caller reads (and may abandon). */
    HttpResponse<InputStream> postStreaming(String path, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return send(request, HttpResponse.BodyHandlers.ofInputStream());
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"say hello\"}]}";
    }

    @Override
    public void close() {
        gateway.close();
        store.ifPresent(OutcomeStore::close);
        portfolio.close();
        http.close();
    }
}
