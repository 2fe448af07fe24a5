package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/usage} on a runtime with its ledger (SQLite in a temporary state folder): its totals
 * are those of the requests just answered, by model, route and workflow; bad parameters are 400s
 * that name them; and the ledger outlives the process (a restart reads the same totals).
 */
@Timeout(120)
class UsageEndpointTest {

    @TempDir
    Path state;

    private StandInServer upstream;
    private MeshConfig config;
    private MeshRuntime runtime;
    private Gateway gateway;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        upstream = StandInServer.start("upstream").reply("four words of answer");
        config = ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { port: 0, state-dir: "%s", access-log: false }
                models:
                  - { id: small, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 1, output-per-mtok: 2, cached-input-per-mtok: 0.1 },
                      energy: { input-j-per-token: 0.5, output-j-per-token: 2, source: "a test figure" } }
                  - { id: large, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 10, output-per-mtok: 30 } }
                routes:
                  - { name: auto, policy: fallback, candidates: [small, large] }
                """.formatted(state, upstream.baseUrl(), upstream.baseUrl()));
        runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet());
        gateway = runtime.serve(config.server());
    }

    @AfterEach
    void stop() {
        runtime.close();
        upstream.close();
        http.close();
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode chat(String model, String text, String workflow) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                        + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\","
                        + " \"content\": \"" + text + "\"}]}"));
        if (workflow != null) {
            request.header("x-mesh-workflow", workflow);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Json.parseObject(response.body().getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, JsonNode> byGroup(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = Json.parseObject(response.body().getBytes(StandardCharsets.UTF_8));
        assertThat(body.path("object").asText()).isEqualTo("list");
        Map<String, JsonNode> groups = new HashMap<>();
        body.path("data").forEach(row -> groups.put(row.path("group").asText(), row));
        return groups;
    }

    @Test
    void theTotalsAreThoseOfTheRequestsJustAnswered() throws Exception {
        long prompt = 0;
        long completion = 0;
        double cost = 0;
        String[] texts = {"one", "one two", "one two three four five"};
        for (String text : texts) {
            JsonNode answer = chat("small", text, "wf-1");
            prompt += answer.path("usage").path("prompt_tokens").asLong();
            completion += answer.path("usage").path("completion_tokens").asLong();
            cost += answer.path("usage").path("cost_usd").asDouble();
        }
        chat("auto", "routed", null);
        chat("large", "named", null);

        Map<String, JsonNode> models = byGroup(get("/v1/usage?group_by=model"));
        assertThat(models.keySet()).containsExactlyInAnyOrder("small", "large");
        JsonNode small = models.get("small");
        assertThat(small.path("requests").asLong()).isEqualTo(4);  // three named, one through the route
        assertThat(models.get("large").path("requests").asLong()).isEqualTo(1);
        assertThat(cost).isPositive();

        Map<String, JsonNode> workflows = byGroup(get("/v1/usage?group_by=workflow"));
        JsonNode wf = workflows.get("wf-1");
        assertThat(wf.path("requests").asLong()).isEqualTo(3);
        assertThat(wf.path("prompt_tokens").asLong()).isEqualTo(prompt);
        assertThat(wf.path("completion_tokens").asLong()).isEqualTo(completion);
        assertThat(wf.path("cost_usd").asDouble()).isCloseTo(cost, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(wf.path("energy_wh").asDouble()).isPositive();

        Map<String, JsonNode> routes = byGroup(get("/v1/usage?group_by=route"));
        assertThat(routes.get("auto").path("requests").asLong()).isEqualTo(1);
        assertThat(routes.get("").path("requests").asLong()).as("requests that named a model").isEqualTo(4);

        Map<String, JsonNode> keys = byGroup(get("/v1/usage?group_by=key"));
        assertThat(keys.keySet()).containsExactly("anonymous");

        String tomorrow = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.DAYS).toString();
        assertThat(byGroup(get("/v1/usage?group_by=model&from=" + tomorrow + "&to=" + tomorrow.substring(0, 10) + "T12:00:00Z")))
                .as("nothing in a window after the requests").isEmpty();

        runtime.close();  // the records are in the store: a new process reads the same totals
        runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet());
        gateway = runtime.serve(config.server());
        assertThat(byGroup(get("/v1/usage?group_by=workflow")).get("wf-1").path("prompt_tokens").asLong()).isEqualTo(prompt);
    }

    @Test
    void streamsAreMeteredUnaskedCachedTokensArePricedAndMissingUsageIsEstimated() throws Exception {
        HttpResponse<String> stream = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                        + "/v1/chat/completions")).header("Content-Type", "application/json").header("x-mesh-workflow", "streamed")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"small\", \"stream\": true, \"messages\":"
                        + " [{\"role\": \"user\", \"content\": \"count these words\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.body()).as("the client did not ask for usage").doesNotContain("\"usage\"").contains("[DONE]");
        JsonNode streamed = byGroup(get("/v1/usage?group_by=workflow")).get("streamed");
        assertThat(streamed.path("prompt_tokens").asLong()).as("metered all the same").isPositive();
        assertThat(streamed.path("completion_tokens").asLong()).isEqualTo(4);  // "four words of answer"

        upstream.cachedTokens(2);
        JsonNode cached = chat("small", "one two three", "cached");
        long prompt = cached.path("usage").path("prompt_tokens").asLong();
        long completion = cached.path("usage").path("completion_tokens").asLong();
        assertThat(cached.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(2);
        assertThat(cached.path("usage").path("cost_usd").asDouble()).isCloseTo(((prompt - 2) * 1 + 2 * 0.1 + completion * 2) / 1e6,
                org.assertj.core.api.Assertions.within(1e-15));
        upstream.cachedTokens(0);

        upstream.reportsUsage(false);
        JsonNode estimated = chat("small", "no usage from this server", "estimated");
        assertThat(estimated.path("usage").path("estimated").asBoolean()).isTrue();
        assertThat(estimated.path("usage").path("prompt_tokens").asLong()).isPositive();
        assertThat(estimated.path("usage").path("cost_usd").asDouble()).isPositive();
        JsonNode ledger = byGroup(get("/v1/usage?group_by=workflow")).get("estimated");
        assertThat(ledger.path("prompt_tokens").asLong()).isEqualTo(estimated.path("usage").path("prompt_tokens").asLong());
    }

    @Test
    void badParametersAreNamedIn400s() throws Exception {
        assertError(get("/v1/usage?group_by=team"), 400, "group_by");
        assertError(get("/v1/usage?from=yesterday"), 400, "from");
        assertError(get("/v1/usage?to=2026-13-01"), 400, "to");
        assertError(get("/v1/usage?from=2026-12-04T10:00:00Z&to=2026-12-04T09:00:00Z"), 400, "to");
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/usage"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        HttpResponse<String> badWorkflow = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                        + "/v1/chat/completions")).header("x-mesh-workflow", "has spaces")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"small\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(badWorkflow.statusCode()).isEqualTo(400);
        assertThat(badWorkflow.body()).contains("x-mesh-workflow");
    }

    private static void assertError(HttpResponse<String> response, int status, String param) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = Json.parseObject(response.body().getBytes(StandardCharsets.UTF_8)).path("error");
        assertThat(error.path("param").asText()).isEqualTo(param);
        assertThat(error.path("message").asText()).isNotBlank();
    }

    @Test
    void aWorkflowsTotalsAreTheSumOfItsRequests() throws Exception {
        double cost = 0;
        long prompt = 0;
        long completion = 0;
        for (String model : new String[] {"small", "small", "large"}) {
            JsonNode answer = chat(model, "step of the agent", "agent-run-7");
            cost += answer.path("usage").path("cost_usd").asDouble();
            prompt += answer.path("usage").path("prompt_tokens").asLong();
            completion += answer.path("usage").path("completion_tokens").asLong();
        }
        chat("small", "another run", "agent-run-8");
        HttpResponse<String> response = get("/v1/workflows/agent-run-7");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode totals = Json.parseObject(response.body().getBytes(StandardCharsets.UTF_8));
        assertThat(totals.path("requests").asInt()).isEqualTo(3);
        assertThat(totals.path("prompt_tokens").asLong()).isEqualTo(prompt);
        assertThat(totals.path("completion_tokens").asLong()).isEqualTo(completion);
        assertThat(totals.path("cost_usd").asDouble()).isCloseTo(cost, org.assertj.core.api.Assertions.within(1e-12));
        Map<String, Integer> models = new HashMap<>();
        totals.path("models").forEach(m -> models.put(m.path("model").asText(), m.path("requests").asInt()));
        assertThat(models).containsEntry("small", 2).containsEntry("large", 1);
        assertThat(get("/v1/workflows/never-ran").statusCode()).isEqualTo(404);
        assertThat(get("/v1/workflows/bad%20id").statusCode()).isEqualTo(400);
    }
}
