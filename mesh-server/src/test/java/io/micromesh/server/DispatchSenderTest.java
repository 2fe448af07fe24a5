package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.dispatch.Lane;
import io.micromesh.jobs.ItemSender;
import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A batch job's requests run in process through the runtime's dispatcher: in the batch lane, charged,
 * and failing with the status and message a client of the runtime's own gateway gets for the same body.
 */
class DispatchSenderTest {

    private StandInServer upstream;
    private MeshRuntime runtime;
    private ItemSender sender;
    private Gateway gateway;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        upstream = StandInServer.start("upstream");
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { port: 0 }
                models:
                  - { id: m, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 3 } }
                """.formatted(upstream.baseUrl()));
        runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet());
        sender = runtime.itemSender("test");
        gateway = runtime.serve(config.server());
    }

    @AfterEach
    void stop() {
        runtime.close();
        upstream.close();
        http.close();
    }

    private static ObjectNode body(String json) {
        return Json.parseObject(json.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> post(String path, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anItemIsAnsweredInTheBatchLaneAndCharged() {
        ItemSender.Reply reply = sender.send(new ItemSender.Request.Json("i1", "/v1/chat/completions",
                body("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")));
        assertThat(reply).isInstanceOfSatisfying(ItemSender.Reply.Answered.class, answered -> {
            assertThat(answered.body().tree().path("model").asText()).isEqualTo("m");
            assertThat(answered.costUsd()).isPositive();
            assertThat(answered.tokens()).isPositive();
        });
        var gate = runtime.dispatcher().portfolio().model("m").orElseThrow().backend().gates().getFirst();
        assertThat(gate.admitted(Lane.BATCH)).isEqualTo(1);
        assertThat(gate.admitted(Lane.INTERACTIVE)).isZero();
    }

    @Test
    void aBadItemFailsAsTheGatewayWouldAnswerIt() throws Exception {
        String[][] cases = {
                {"/v1/chat/completions", "{\"model\": \"m\"}"},
                {"/v1/chat/completions", "{\"model\": \"nobody\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"},
                {"/v1/embeddings", "{\"model\": \"m\", \"input\": 42}"},
                {"/v1/completions", "{\"model\": \"m\", \"prompt\": \"hi\", \"max_tokens\": -1}"},
        };
        for (String[] c : cases) {
            ItemSender.Reply reply = sender.send(new ItemSender.Request.Json("bad", c[0], body(c[1])));
            HttpResponse<String> answer = post(c[0], c[1]);
            JsonNode error = Json.mapper().readTree(answer.body()).path("error");
            assertThat(reply).as(c[1]).isInstanceOfSatisfying(ItemSender.Reply.Failed.class, failed -> {
                assertThat(failed.status()).isEqualTo(answer.statusCode());
                assertThat(failed.code()).isEqualTo("http_" + answer.statusCode());
                assertThat(failed.message()).isEqualTo(error.path("message").asText());
                assertThat(failed.retriable()).isFalse();
            });
        }
    }

    @Test
    void anOverloadedUpstreamIsRetriableForTheJob() throws Exception {
        upstream.mode(StandInServer.Mode.TOO_MANY_REQUESTS);
        ItemSender.Reply reply = sender.send(new ItemSender.Request.Json("i", "/v1/chat/completions",
                body("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")));
        assertThat(reply).isInstanceOfSatisfying(ItemSender.Reply.Failed.class, failed -> {
            assertThat(failed.status()).isEqualTo(429);
            assertThat(failed.retriable()).isTrue();
        });
        assertThat(sender.models()).containsExactly("m");
    }
}
