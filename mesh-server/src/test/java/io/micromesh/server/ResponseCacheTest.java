package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.testkit.FakeClock;
import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The response cache through the real HTTP API over a stand-in that counts what reaches it: hits
 * never reach the backend, sampling requests and opt-outs bypass, answers expire on the injected
 * clock, a streamed request is served from an answer stored whole (and the other way round), keys
 * do not share unless the cache says so, and the ledger says what the cache saved.
 */
@Timeout(120)
class ResponseCacheTest {

    private static final String ASK = "{\"model\": \"%s\", \"temperature\": 0, \"messages\": [{\"role\": \"user\","
            + " \"content\": \"What is the refund window?\"}]}";

    @TempDir
    Path state;

    @Test
    void aDeterministicRequestIsAnsweredOnceThenFromTheCacheUntilItExpires() throws Exception {
        try (StandInServer upstream = StandInServer.start("counted").reply("Thirty days from delivery.");
             TestGateway mesh = new TestGateway("""
                     models:
                       - { id: remote, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 1, output-per-mtok: 2 },
                           cache: { ttl-s: 60 } }
                       - { id: uncached, engine: openai, endpoints: ["%s"] }
                     """.formatted(upstream.baseUrl(), upstream.baseUrl()))) {
            HttpResponse<String> first = mesh.post("/v1/chat/completions", ASK.formatted("remote"));
            assertThat(first.headers().firstValue("x-mesh-cache")).hasValue("miss");
            HttpResponse<String> second = mesh.post("/v1/chat/completions",
                    "{\"messages\": [{\"content\": \"What is the refund window?\", \"role\": \"user\"}], \"temperature\": 0.0,"
                            + " \"model\": \"remote\", \"user\": \"someone\"}");
            assertThat(second.headers().firstValue("x-mesh-cache")).as("the same request, written differently").hasValue("hit");
            assertThat(upstream.generationRequests()).as("a hit never reaches the backend").isEqualTo(1);
            JsonNode hit = TestGateway.json(second);
            assertThat(hit.path("choices").get(0).path("message").path("content").asText()).isEqualTo("Thirty days from delivery.");
            JsonNode usage = hit.path("usage");
            assertThat(usage.path("cost_usd").asDouble()).isZero();
            assertThat(usage.path("saved_cost_usd").asDouble()).isEqualTo(TestGateway.json(first).path("usage").path("cost_usd")
                    .asDouble()).isPositive();

            mesh.post("/v1/chat/completions", ASK.formatted("remote").replace("\"temperature\": 0", "\"temperature\": 0.7"));
            HttpResponse<String> sampled = mesh.post("/v1/chat/completions",
                    ASK.formatted("remote").replace("\"temperature\": 0", "\"temperature\": 0.7"));
            assertThat(sampled.headers().firstValue("x-mesh-cache")).as("a sampling request is not cached").hasValue("bypass");
            HttpResponse<String> fresh = mesh.post("/v1/chat/completions", ASK.formatted("remote"), "x-mesh-cache", "no-cache");
            assertThat(fresh.headers().firstValue("x-mesh-cache")).hasValue("bypass");
            assertThat(upstream.generationRequests()).isEqualTo(4);
            assertThat(mesh.post("/v1/chat/completions", ASK.formatted("uncached")).headers().firstValue("x-mesh-cache"))
                    .as("a model without cache: no header").isEmpty();
            HttpResponse<String> bad = mesh.post("/v1/chat/completions", ASK.formatted("remote"), "x-mesh-cache", "maybe");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(TestGateway.json(bad).path("error").path("param").asText()).isEqualTo("x-mesh-cache");

            int before = upstream.generationRequests();
            assertThat(mesh.post("/v1/chat/completions", ASK.formatted("remote")).headers().firstValue("x-mesh-cache"))
                    .hasValue("hit");
            String metrics = mesh.get("/metrics").body();
            assertThat(metrics).contains("mesh_cache_requests_total{name=\"remote\",result=\"hit\"} 2.0")
                    .contains("mesh_cache_requests_total{name=\"remote\",result=\"bypass\"} 3.0")
                    .contains("mesh_cache_saved_cost_usd_total{name=\"remote\"}");
            mesh.clock.advance(Duration.ofSeconds(61));
            assertThat(mesh.post("/v1/chat/completions", ASK.formatted("remote")).headers().firstValue("x-mesh-cache"))
                    .as("expired after its 60 s").hasValue("miss");
            assertThat(upstream.generationRequests()).isEqualTo(before + 1);
        }
    }

    @Test
    void theServersCacheBoundsHold() throws Exception {
        String models = """
                models:
                  - { id: remote, engine: openai, endpoints: ["%s"], cache: {} }
                """;
        String other = ASK.formatted("remote").replace("refund window", "delivery time");
        try (StandInServer upstream = StandInServer.start("counted").reply("Thirty days from delivery.");
             TestGateway roomy = new TestGateway(models.formatted(upstream.baseUrl()));
             TestGateway tight = new TestGateway("server: { cache: { max-entries: 1 } }\n" + models.formatted(upstream.baseUrl()))) {
            for (TestGateway mesh : List.of(roomy, tight)) {
                mesh.post("/v1/chat/completions", ASK.formatted("remote"));
                mesh.post("/v1/chat/completions", other);
            }
            // asked again: both answers are kept in the default bounds, at most one in a cache of one answer
            assertThat(hits(roomy, ASK.formatted("remote"), other)).isEqualTo(2);
            assertThat(hits(tight, ASK.formatted("remote"), other)).isLessThanOrEqualTo(1);
        }
    }

    private static int hits(TestGateway mesh, String... bodies) {
        int hits = 0;
        for (String body : bodies) {
            hits += mesh.post("/v1/chat/completions", body).headers().firstValue("x-mesh-cache").orElse("").equals("hit") ? 1 : 0;
        }
        return hits;
    }

    @Test
    void aStreamedRequestIsServedFromTheCacheAsAReplayedStreamThroughTheSdk() throws Exception {
        try (StandInServer upstream = StandInServer.start("streams").reply("one two three four five").streamChunks(5);
             TestGateway mesh = new TestGateway("""
                     models:
                       - { id: remote, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 1, output-per-mtok: 2 },
                           cache: {} }
                     """.formatted(upstream.baseUrl()))) {
            OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(mesh.url() + "/v1").apiKey("none").maxRetries(0)
                    .build();
            ChatCompletionCreateParams ask = ChatCompletionCreateParams.builder().model("remote").temperature(0.0)
                    .addUserMessage("count to five").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true)
                            .build()).build();
            for (int round = 0; round < 2; round++) {
                StringBuilder text = new StringBuilder();
                JsonNode[] usage = new JsonNode[1];
                try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(ask)) {
                    stream.stream().forEach(chunk -> {
                        chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
                        chunk.usage().ifPresent(u -> usage[0] = Json.mapper().valueToTree(u._additionalProperties()));
                    });
                }
                assertThat(text.toString()).as("round " + round).isEqualTo("one two three four five");
                assertThat(usage[0]).as("the usage chunk, round " + round).isNotNull();
            }
            assertThat(upstream.generationRequests()).as("the second stream was a replay").isEqualTo(1);
            HttpResponse<String> whole = mesh.post("/v1/chat/completions",
                    "{\"model\": \"remote\", \"temperature\": 0, \"messages\": [{\"role\": \"user\", \"content\": \"count to five\"}]}");
            assertThat(whole.headers().firstValue("x-mesh-cache")).as("a whole request from the streamed answer").hasValue("hit");
            assertThat(TestGateway.json(whole).path("choices").get(0).path("message").path("content").asText())
                    .isEqualTo("one two three four five");
            assertThat(TestGateway.json(whole).path("usage").path("completion_tokens").asInt()).isPositive();
            client.close();
        }
    }

    private static final String MASTER = "master-key-for-cache-tests-0123";
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(int port, String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + key);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void keysDoNotShareAnswersUnlessTheCacheIsSharedAndTheLedgerSaysWhatWasSaved() throws Exception {
        try (StandInServer upstream = StandInServer.start("keys").reply("Thirty days from delivery.")) {
            MeshConfig config = ConfigLoader.withEnvironment(Map.of("MASTER", MASTER)).parse("""
                    server: { port: 0, master-key: "${MASTER}", state-dir: "%s", access-log: false }
                    models:
                      - { id: remote, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 1000, output-per-mtok: 1000 },
                          energy: { input-j-per-token: 1, output-j-per-token: 3, source: "a test figure" }, cache: {} }
                    routes:
                      - { name: faq, policy: fixed, candidates: [remote], cache: { shared: true } }
                    """.formatted(state, upstream.baseUrl()));
            MeshRuntime runtime = MeshRuntime.open(config, new MeshRuntime.Options(List.of(), true,
                    name -> io.micromesh.engines.pull.ProgressListener.none(), line -> { }, Clock.systemUTC()));
            try {
                int port = runtime.serve(config.server()).port();
                String a = Json.parseObject(send(port, "POST", "/admin/keys", MASTER, "{\"name\": \"a\"}").body()
                        .getBytes(StandardCharsets.UTF_8)).path("key").asText();
                String b = Json.parseObject(send(port, "POST", "/admin/keys", MASTER, "{\"name\": \"b\"}").body()
                        .getBytes(StandardCharsets.UTF_8)).path("key").asText();
                assertThat(send(port, "POST", "/v1/chat/completions", a, ASK.formatted("remote")).headers()
                        .firstValue("x-mesh-cache")).hasValue("miss");
                assertThat(send(port, "POST", "/v1/chat/completions", a, ASK.formatted("remote")).headers()
                        .firstValue("x-mesh-cache")).hasValue("hit");
                assertThat(send(port, "POST", "/v1/chat/completions", b, ASK.formatted("remote")).headers()
                        .firstValue("x-mesh-cache")).as("another key's answer is not given").hasValue("miss");
                assertThat(upstream.generationRequests()).isEqualTo(2);

                assertThat(send(port, "POST", "/v1/chat/completions", a, ASK.formatted("faq")).headers()
                        .firstValue("x-mesh-cache")).hasValue("miss");
                assertThat(send(port, "POST", "/v1/chat/completions", b, ASK.formatted("faq")).headers()
                        .firstValue("x-mesh-cache")).as("a shared cache gives it").hasValue("hit");
                assertThat(upstream.generationRequests()).isEqualTo(3);
                String onlyRemote = Json.parseObject(send(port, "POST", "/admin/keys", MASTER, "{\"name\": \"c\", \"models\":"
                        + " [\"remote\"]}").body().getBytes(StandardCharsets.UTF_8)).path("key").asText();
                assertThat(send(port, "POST", "/v1/chat/completions", onlyRemote, ASK.formatted("faq")).statusCode())
                        .as("a shared answer is not given to a key that may not use the route").isEqualTo(403);

                JsonNode rows = Json.mapper().readTree(send(port, "GET", "/v1/usage?group_by=key", MASTER, null).body())
                        .path("data");
                double saved = 0;
                double savedWh = 0;
                long hits = 0;
                double cost = 0;
                double energy = 0;
                for (JsonNode row : rows) {
                    saved += row.path("saved_cost_usd").asDouble();
                    savedWh += row.path("saved_energy_wh").asDouble();
                    hits += row.path("cache_hits").asLong();
                    cost += row.path("cost_usd").asDouble();
                    energy += row.path("energy_wh").asDouble();
                }
                assertThat(hits).isEqualTo(2);
                assertThat(saved).as("two hits saved two answers' cost").isCloseTo(2 * cost / 3,
                        org.assertj.core.data.Offset.offset(1e-9));
                assertThat(savedWh).as("and two answers' energy").isPositive().isCloseTo(2 * energy / 3,
                        org.assertj.core.data.Offset.offset(1e-9));
                JsonNode route = Json.mapper().readTree(send(port, "GET", "/v1/usage?group_by=route", MASTER, null).body())
                        .path("data");
                assertThat(route.toString()).contains("\"group\":\"faq\"");
            } finally {
                runtime.close();
            }
        }
    }

    @Test
    void aSemanticCacheHitsOnANearlyVerbatimRewordingOnlyWhenTheRestIsIdentical() throws Exception {
        try (StandInServer upstream = StandInServer.start("semantic").reply("Thirty days from delivery.");
             TestGateway mesh = new TestGateway("""
                     models:
                       - { id: remote, engine: openai, endpoints: ["%s"] }
                       - { id: minilm, engine: onnx }
                     routes:
                       - { name: faq, policy: fixed, candidates: [remote], cache: { mode: semantic } }
                     """.formatted(upstream.baseUrl()))) {
            String ask = "{\"model\": \"faq\", \"temperature\": 0, \"messages\": [{\"role\": \"system\", \"content\": \"%s\"},"
                    + " {\"role\": \"user\", \"content\": \"%s\"}]}";
            assertThat(mesh.post("/v1/chat/completions", ask.formatted("Be brief.", "What is the refund window?")).headers()
                    .firstValue("x-mesh-cache")).hasValue("miss");
            assertThat(mesh.post("/v1/chat/completions", ask.formatted("Be brief.", "what is the refund window")).headers()
                    .firstValue("x-mesh-cache")).as("the same question, written slightly differently").hasValue("hit");
            assertThat(mesh.post("/v1/chat/completions", ask.formatted("Be brief.", "What is the exchange window?")).headers()
                    .firstValue("x-mesh-cache")).as("a near-miss with another answer").hasValue("miss");
            assertThat(mesh.post("/v1/chat/completions", ask.formatted("Answer in French.", "What is the refund window?"))
                    .headers().firstValue("x-mesh-cache")).as("the same question under another system prompt").hasValue("miss");
            assertThat(upstream.generationRequests()).isEqualTo(3);
        }
    }

    /** Two gateways on one store: an answer one computed is a hit for the other, for caches kept in the store. */
    @Test
    void gatewaysSharingAStoreShareHitsOfCachesKeptInIt() throws Exception {
        try (StandInServer upstream = StandInServer.start("shared").reply("Thirty days from delivery.")) {
            List<MeshRuntime> runtimes = new java.util.ArrayList<>();
            try {
                int[] ports = new int[2];
                for (int g = 0; g < 2; g++) {
                    MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                            server: { port: 0, state-dir: "%s", access-log: false }
                            store: { url: "jdbc:sqlite:%s" }
                            models:
                              - { id: kept, engine: openai, endpoints: ["%s"], cache: { store: true } }
                              - { id: local, engine: openai, endpoints: ["%s"], cache: {} }
                            """.formatted(state.resolve("gateway-" + g), state.resolve("shared.db"), upstream.baseUrl(),
                            upstream.baseUrl()));
                    MeshRuntime runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet());
                    runtimes.add(runtime);
                    ports[g] = runtime.serve(config.server()).port();
                }
                HttpResponse<String> first = send(ports[0], "POST", "/v1/chat/completions", "none", ASK.formatted("kept"));
                assertThat(first.headers().firstValue("x-mesh-cache")).hasValue("miss");
                HttpResponse<String> other = send(ports[1], "POST", "/v1/chat/completions", "none", ASK.formatted("kept"));
                assertThat(other.headers().firstValue("x-mesh-cache")).as("the other gateway's answer, from the store")
                        .hasValue("hit");
                assertThat(TestGateway.json(other).path("choices").get(0).path("message").path("content").asText())
                        .isEqualTo("Thirty days from delivery.");
                send(ports[0], "POST", "/v1/chat/completions", "none", ASK.formatted("local"));
                assertThat(send(ports[1], "POST", "/v1/chat/completions", "none", ASK.formatted("local")).headers()
                        .firstValue("x-mesh-cache")).as("a cache in memory only").hasValue("miss");
                assertThat(upstream.generationRequests()).isEqualTo(3);
            } finally {
                runtimes.forEach(MeshRuntime::close);
            }
        }
    }
}
