package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.BadRequestException;
import com.openai.models.FunctionDefinition;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.models.Model;
import io.micromesh.api.Json;
import io.micromesh.testkit.StandInServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Routes through the real HTTP API with the official OpenAI SDK, against stand-in backends with
 * known behaviour: one refuses connections, one is slow, one lacks tools and has a small context.
 */
class RoutingTest {

    private static StandInServer small;
    private static StandInServer big;
    private static StandInServer refusing;
    private static StandInServer slow;
    private static StandInServer garbled;
    private static TestGateway mesh;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        small = StandInServer.start("small").reply("small answers");
        big = StandInServer.start("big").reply("big answers");
        refusing = StandInServer.start("refusing");
        refusing.refuseConnections();
        slow = StandInServer.start("slow").reply("slow answers").delay(java.time.Duration.ofMillis(300));
        garbled = StandInServer.start("garbled").mode(StandInServer.Mode.GARBAGE);
        mesh = new TestGateway("""
                models:
                  - id: small
                    engine: openai
                    endpoints: ["%s"]
                    context: 64
                    capabilities: [chat, json]
                  - id: big
                    engine: openai
                    endpoints: ["%s"]
                    context: 8192
                  - id: refusing
                    engine: openai
                    endpoints: ["%s"]
                  - id: slow
                    engine: openai
                    endpoints: ["%s"]
                  - id: garbled
                    engine: openai
                    endpoints: ["%s"]
                  - id: offline
                    engine: llamacpp
                    file: absent.gguf
                  - id: minilm
                    engine: onnx
                routes:
                  - name: alias
                    policy: fixed
                    candidates: [small]
                  - name: chain
                    policy: fallback
                    candidates: [refusing, slow, big]
                  - name: sloppy
                    policy: fallback
                    candidates: [garbled, small]
                  - name: triage
                    policy: rules
                    candidates: [small, big]
                    default: small
                    rules:
                      - { tools: true, model: big }
                      - { task: legal, model: big }
                      - { prompt-tokens-over: 40, model: big }
                      - { user: vip, model: big }
                      - { metadata: { tier: gold }, model: big }
                      - { images: false, max-tokens-over: 30, prompt-tokens-under: 10, model: big }
                  - name: dead
                    policy: fixed
                    candidates: [offline]
                  - name: support
                    policy: semantic
                    candidates: [small, big]
                    default: big
                    intents:
                      - name: billing
                        model: small
                        examples: ["I was charged twice", "I want a refund for my last invoice",
                                   "why is there an extra fee on my bill", "my credit card payment failed"]
                      - name: shipping
                        model: big
                        examples: ["where is my package", "my order has not arrived yet",
                                   "the delivery is late", "can you track my shipment"]
                """.formatted(small.baseUrl(), big.baseUrl(), refusing.baseUrl(), slow.baseUrl(), garbled.baseUrl()));
        client = OpenAIOkHttpClient.builder().baseUrl(mesh.url() + "/v1").apiKey("unused").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        mesh.close();
        for (StandInServer server : List.of(small, big, refusing, slow, garbled)) {
            server.close();
        }
    }

    private static HttpResponseFor<ChatCompletion> ask(ChatCompletionCreateParams params) {
        return client.chat().completions().withRawResponse().create(params);
    }

    private static ChatCompletionCreateParams.Builder chat(String model, String text) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage(text);
    }

    private static String routeHeader(HttpResponseFor<?> response) {
        return response.headers().values("x-mesh-route").getFirst();
    }

    @Test
    void aFixedRouteIsAnAlias() {
        HttpResponseFor<ChatCompletion> response = ask(chat("alias", "hi").build());
        assertThat(response.parse().choices().getFirst().message().content()).hasValue("small answers");
        assertThat(response.parse().model()).isEqualTo("small");
        assertThat(routeHeader(response)).isEqualTo("route=alias; policy=fixed; model=small; reason=alias");
    }

    @Test
    void aFallbackChainMovesOnWhenAModelRefuses() {
        HttpResponseFor<ChatCompletion> response = ask(chat("chain", "hi").build());
        assertThat(response.parse().choices().getFirst().message().content()).hasValue("slow answers");
        assertThat(routeHeader(response)).contains("policy=fallback").contains("fell back to slow after refusing failed");
    }

    /** Issue 16: an answer that is not JSON is a failure of that model, and the next one answers. */
    @Test
    void aFallbackChainMovesOnWhenAModelAnswersGarbage() {
        HttpResponseFor<ChatCompletion> response = ask(chat("sloppy", "hi").build());
        assertThat(response.parse().choices().getFirst().message().content()).hasValue("small answers");
        assertThat(routeHeader(response)).contains("fell back to small after garbled failed");
    }

    @Test
    void aStreamFallsBackBeforeItsFirstChunk() {
        StringBuilder text = new StringBuilder();
        try (var stream = client.chat().completions().createStreaming(chat("chain", "hi").build())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
        }
        assertThat(text.toString()).isEqualTo("slow answers");
    }

    @Test
    void rulesChooseByToolsTaskAndPromptSize() {
        ChatCompletionFunctionTool tool = ChatCompletionFunctionTool.builder()
                .function(FunctionDefinition.builder().name("lookup").build()).build();
        HttpResponseFor<ChatCompletion> withTools = ask(chat("triage", "look it up").addTool(tool).build());
        assertThat(withTools.parse().model()).isEqualTo("big");
        assertThat(routeHeader(withTools)).contains("reason=rule 1 matched");

        HttpResponseFor<ChatCompletion> legal = client.chat().completions().withRawResponse().create(chat("triage", "a contract")
                .build(), com.openai.core.RequestOptions.builder().build());
        assertThat(legal.parse().model()).isEqualTo("small");  // no task header: the default

        JsonNode byTask = Json.mapper().valueToTree(Json.parseObject(mesh.post("/v1/route",
                "{\"model\":\"triage\",\"messages\":[{\"role\":\"user\",\"content\":\"a contract\"}]}",
                "x-mesh-task", "legal").body().getBytes()));
        assertThat(byTask.path("model").asText()).isEqualTo("big");
        assertThat(byTask.path("reason").asText()).isEqualTo("rule 2 matched");
        // the task is kept with what routes learn: a value that is not a short id is refused, naming the header
        for (String path : List.of("/v1/route", "/v1/chat/completions")) {
            HttpResponse<String> badTask = mesh.post(path, "{\"model\":\"triage\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"a contract\"}]}", "x-mesh-task", "legal advice, urgent!");
            assertThat(badTask.statusCode()).as(path).isEqualTo(400);
            assertThat(badTask.body()).contains("x-mesh-task").contains("invalid_request_error");
        }

        HttpResponseFor<ChatCompletion> longPrompt = ask(chat("triage", "word ".repeat(60)).build());
        assertThat(longPrompt.parse().model()).isEqualTo("big");
    }

    @Test
    void rulesLookAtTheUserMetadataAndSizes() throws Exception {
        String[][] cases = {
            {"{\"user\":\"vip\"}", "big", "rule 4 matched"},
            {"{\"metadata\":{\"tier\":\"gold\"}}", "big", "rule 5 matched"},
            {"{\"metadata\":{\"tier\":\"silver\"}}", "small", "no rule matched; default"},
            {"{\"max_tokens\":31}", "big", "rule 6 matched"},
            {"{\"max_tokens\":30}", "small", "no rule matched; default"},
        };
        for (String[] test : cases) {
            TriageBody body = new TriageBody(test[0]);
            JsonNode decision = Json.mapper().readTree(mesh.post("/v1/route", body.withMessage("hi")).body());
            assertThat(decision.path("model").asText()).as(test[0]).isEqualTo(test[1]);
            assertThat(decision.path("reason").asText()).as(test[0]).isEqualTo(test[2]);
        }
    }

    /** A request body for the triage route: the given fields plus one user message. */
    private record TriageBody(String fields) {
        String withMessage(String text) {
            var node = Json.parseObject(fields.getBytes());
            node.put("model", "triage");
            node.putArray("messages").addObject().put("role", "user").put("content", text);
            return Json.string(node);
        }
    }

    @Test
    void hardConstraintsExcludeModelsThatLackACapabilityOrTheContext() throws Exception {
        HttpResponse<String> dryRun = mesh.post("/v1/route",
                "{\"model\":\"alias\",\"max_tokens\":500,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(dryRun.statusCode()).isEqualTo(400);
        assertThat(dryRun.body()).contains("no_admissible_model").contains("exceeds its context of 64");

        JsonNode tools = Json.mapper().readTree(mesh.post("/v1/route", "{\"model\":\"support\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"I was charged twice\"}],\"tools\":[{\"type\":\"function\","
                + "\"function\":{\"name\":\"refund\"}}]}").body());
        assertThat(tools.path("model").asText()).isEqualTo("big");
        assertThat(tools.path("candidates").get(0).path("excluded").asText()).isEqualTo("lacks capability tools");
        assertThat(tools.path("reason").asText()).contains("intent billing").contains("small is excluded");

        assertThatThrownBy(() -> client.chat().completions().create(chat("alias", "hi").maxTokens(500).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.getMessage()).contains("context"));
    }

    @Test
    void aRouteWhoseModelsAreAllUnhealthyIs503() {
        HttpResponse<String> response = mesh.post("/v1/chat/completions",
                "{\"model\":\"dead\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("retry-after")).isPresent();
        assertThat(response.body()).contains("offline not healthy");
    }

    @Test
    void theSemanticRouteClassifiesUtterancesItNeverSaw() throws Exception {
        String[][] heldOut = {
            {"I have been billed two times for the same order", "small", "billing"},
            {"please give me my money back for this invoice", "small", "billing"},
            {"my parcel still has not been delivered", "big", "shipping"},
            {"when will my shipment arrive", "big", "shipping"},
        };
        for (String[] test : heldOut) {
            JsonNode decision = Json.mapper().readTree(mesh.post("/v1/route", "{\"model\":\"support\",\"messages\":"
                    + "[{\"role\":\"user\",\"content\":\"" + test[0] + "\"}]}").body());
            assertThat(decision.path("model").asText()).as(test[0]).isEqualTo(test[1]);
            assertThat(decision.path("reason").asText()).as(test[0]).startsWith("intent " + test[2]);
            assertThat(decision.path("policy").asText()).isEqualTo("semantic");
            assertThat(decision.path("candidates")).allSatisfy(c -> assertThat(c.path("score").isNumber()).isTrue());
        }
        HttpResponseFor<ChatCompletion> routed = ask(chat("support", "my order has not arrived and it is late").build());
        assertThat(routed.parse().model()).isEqualTo("big");
        assertThat(routeHeader(routed)).contains("policy=semantic; model=big; reason=intent shipping scored");
    }

    /** The semantic route of the issue that introduced semantic routes, exactly as written there. */
    private static final String ISSUES_SUPPORT_ROUTE = """
            routes:
              - name: support
                policy: semantic
                candidates: [billing-model, shipping-model]
                default: billing-model
                intents:
                  - name: billing
                    model: billing-model
                    examples: ["I was charged twice", "I want a refund for my last invoice"]
                  - name: shipping
                    model: shipping-model
                    examples: ["where is my package", "my order has not arrived yet"]
            """;

    private static String issuesModels() {
        return """
                models:
                  - { id: billing-model, engine: openai, endpoints: ["%s"] }
                  - { id: shipping-model, engine: openai, endpoints: ["%s"] }
                  - { id: minilm, engine: onnx }
                """.formatted(small.baseUrl(), big.baseUrl());
    }

    @Test
    void theIssuesSupportRouteServesExactlyAsWrittenAndFallsToItsDefaultBelowTheThreshold() throws Exception {
        String models = issuesModels();
        String routes = ISSUES_SUPPORT_ROUTE;
        try (TestGateway exact = new TestGateway(models + routes)) {
            String[][] cases = {
                {"you charged me two times this month", "billing-model", "intent billing"},
                {"my parcel has still not arrived", "shipping-model", "intent shipping"},
                {"what is the capital of France", "billing-model", "under the threshold"},
            };
            for (String[] c : cases) {
                JsonNode decision = Json.mapper().readTree(exact.post("/v1/route", "{\"model\":\"support\",\"messages\":"
                        + "[{\"role\":\"user\",\"content\":\"" + c[0] + "\"}]}").body());
                assertThat(decision.path("model").asText()).as(c[0] + ": " + decision).isEqualTo(c[1]);
                assertThat(decision.path("reason").asText()).as(c[0]).contains(c[2]);
                // no threshold in the route: calibrated from its examples, and said so
                assertThat(decision.path("threshold").path("source").asText()).isEqualTo("calibrated");
                assertThat(decision.path("threshold").path("value").asDouble()).isBetween(0.05, 0.95);
            }
            HttpResponse<String> answered = exact.post("/v1/chat/completions",
                    "{\"model\":\"support\",\"messages\":[{\"role\":\"user\",\"content\":\"where is my package\"}]}");
            assertThat(answered.statusCode()).isEqualTo(200);
            assertThat(answered.headers().firstValue("x-mesh-model")).hasValue("shipping-model");
        }
    }

    @Test
    void theExampleRoutesClassifierTellsNeighbouringIntentsApartAndSaysSo() throws Exception {
        // the support route of config/examples/customer-service.yaml, its models replaced by stand-ins
        String example = Files.readString(Path.of("../config/examples/customer-service.yaml"));
        String routes = example.substring(example.indexOf("routes:\n")).replace("granite-3.3-2b", "small").replace("granite-8b", "big");
        String models = """
                models:
                  - { id: small, engine: openai, endpoints: ["%s"] }
                  - { id: big, engine: openai, endpoints: ["%s"] }
                  - { id: minilm, engine: onnx }
                """.formatted(small.baseUrl(), big.baseUrl());
        try (TestGateway support = new TestGateway(models + routes)) {
            // an utterance of set C (bench/data): its nearest examples are of single_item_query
            // ("tell me more about this pair of boots"); the classifier reads an order being placed
            JsonNode decision = Json.mapper().readTree(support.post("/v1/route", "{\"model\":\"support\",\"messages\":"
                    + "[{\"role\":\"user\",\"content\":\"I want to buy a pair of boots, can you help me place the order\"}]}").body());
            assertThat(decision.path("reason").asText()).as(decision.toString())
                    .startsWith("intent order_issue scored").contains("(classifier 0.")
                    .contains("single_item_query's examples are nearer");
            JsonNode refund = Json.mapper().readTree(support.post("/v1/route", "{\"model\":\"support\",\"messages\":"
                    + "[{\"role\":\"user\",\"content\":\"I was charged twice for the same item\"}]}").body());
            assertThat(refund.path("model").asText()).isEqualTo("big");
            assertThat(refund.path("reason").asText()).as(refund.toString()).startsWith("intent purchase_dispute scored")
                    .contains("(classifier ").doesNotContain("nearer");
        }
    }

    @Test
    void anExplicitThresholdWinsOverTheCalibratedOne() throws Exception {
        String config = issuesModels() + ISSUES_SUPPORT_ROUTE.replace("    default: billing-model\n",
                "    default: billing-model\n    threshold: 0.99\n");
        try (TestGateway strict = new TestGateway(config)) {
            JsonNode decision = Json.mapper().readTree(strict.post("/v1/route", "{\"model\":\"support\",\"messages\":"
                    + "[{\"role\":\"user\",\"content\":\"my parcel has still not arrived\"}]}").body());
            assertThat(decision.path("threshold").path("source").asText()).isEqualTo("configured");
            assertThat(decision.path("threshold").path("value").asDouble()).isEqualTo(0.99);
            assertThat(decision.path("model").asText()).isEqualTo("billing-model");
            assertThat(decision.path("reason").asText()).contains("under the threshold 0.990 (configured)");
        }
    }

    @Test
    void aRouteExcludesModelsWithoutVisionOrEmbeddings() {
        HttpResponse<String> image = mesh.post("/v1/route", "{\"model\":\"triage\",\"messages\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.png\"}}]}]}");
        assertThat(image.statusCode()).as(image.body()).isEqualTo(400);
        assertThat(image.body()).contains("no_admissible_model").contains("lacks capability vision");

        HttpResponse<String> embeddings = mesh.post("/v1/embeddings", "{\"model\":\"alias\",\"input\":\"hello\"}");
        assertThat(embeddings.statusCode()).as(embeddings.body()).isEqualTo(400);
        assertThat(embeddings.body()).contains("no_admissible_model").contains("small lacks capability embeddings");
    }

    @Test
    void routesAreListedAsModelsAndDecisionsAreCounted() {
        List<String> ids = client.models().list().data().stream().map(Model::id).toList();
        assertThat(ids).contains("small", "big", "alias", "chain", "triage", "support");
        ask(chat("alias", "count me").build());
        assertThat(mesh.get("/metrics").body())
                .contains("mesh_route_decisions_total{model=\"small\",policy=\"fixed\",route=\"alias\"}");
        JsonNode direct = Json.mapper().valueToTree(Json.parseObject(mesh.post("/v1/route",
                "{\"model\":\"big\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").body().getBytes()));
        assertThat(direct.path("policy").asText()).isEqualTo("direct");
    }
}
