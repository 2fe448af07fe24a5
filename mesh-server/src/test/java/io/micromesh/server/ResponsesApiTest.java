package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.testkit.StandInServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23, the Responses API through the official openai-java SDK against a stand-in chat backend:
 * text with instructions (usage with cost), function calling and the tool's result sent back,
 * streamed events in order (text deltas, then a function call's argument deltas assembling into the
 * call), {@code previous_response_id} continuing a stored conversation, retrieve and delete.
 */
@Timeout(60)
class ResponsesApiTest {

    @TempDir
    Path dir;

    private record Running(MeshRuntime runtime, OpenAIClient client) implements AutoCloseable {
        @Override
        public void close() {
            runtime.close();
        }
    }

    private Running gateway(StandInServer upstream) {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { port: 0, state-dir: "%s", access-log: false }
                models:
                  - { id: remote, engine: openai, endpoints: ["%s"], capabilities: [chat, tools, json],
                      price: { input-per-mtok: 1, output-per-mtok: 2 } }
                """.formatted(dir.resolve("state"), upstream.baseUrl()));
        MeshRuntime runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet());
        String base = "http://127.0.0.1:" + runtime.serve(config.server()).port();
        return new Running(runtime, OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("none").maxRetries(0).build());
    }

    private static FunctionTool weather() {
        return FunctionTool.builder().name("get_weather").strict(true).parameters(FunctionTool.Parameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                .putAdditionalProperty("additionalProperties", JsonValue.from(false)).build()).build();
    }

    @Test
    void textAndAConversationContinuedByPreviousResponseId() throws Exception {
        try (StandInServer upstream = StandInServer.start("chat").replies("Hello from a small model", "You said hi before");
             Running mesh = gateway(upstream)) {
            Response first = mesh.client().responses().create(ResponseCreateParams.builder().model("remote")
                    .instructions("Be brief.").input("hi").build());
            assertThat(first.id()).startsWith("resp_");
            assertThat(first.output()).hasSize(1);
            assertThat(first.output().get(0).asMessage().content().get(0).asOutputText().text())
                    .isEqualTo("Hello from a small model");
            assertThat(first.usage().orElseThrow().inputTokens()).isPositive();
            assertThat(first.usage().orElseThrow()._additionalProperties()).containsKeys("cost_usd", "energy_wh");
            assertThat(upstream.recorded().get(0).body().path("messages").toString()).contains("\"role\":\"system\"")
                    .contains("Be brief.").contains("hi");

            Response second = mesh.client().responses().create(ResponseCreateParams.builder().model("remote")
                    .input("and now?").previousResponseId(first.id()).build());
            String sent = upstream.recorded().get(1).body().path("messages").toString();
            assertThat(sent).as("the stored conversation goes first").contains("hi").contains("Hello from a small model")
                    .contains("and now?");
            assertThat(second.previousResponseId()).contains(first.id());

            assertThat(mesh.client().responses().retrieve(first.id()).id()).isEqualTo(first.id());
            mesh.client().responses().delete(first.id());
            assertThatThrownBy(() -> mesh.client().responses().retrieve(first.id())).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> mesh.client().responses().create(ResponseCreateParams.builder().model("remote")
                    .input("x").previousResponseId("resp_nosuch").build())).isInstanceOf(BadRequestException.class);
        }
    }

    @Test
    void aFunctionCallAndItsResultSentBack() throws Exception {
        try (StandInServer upstream = StandInServer.start("tools").reply("It is sunny in Paris.")
                .callsTool("get_weather", "{\"city\":\"Paris\"}");
             Running mesh = gateway(upstream)) {
            Response called = mesh.client().responses().create(ResponseCreateParams.builder().model("remote")
                    .input("weather in Paris?").addTool(weather()).build());
            ResponseOutputItem item = called.output().stream().filter(ResponseOutputItem::isFunctionCall).findFirst().orElseThrow();
            ResponseFunctionToolCall call = item.asFunctionCall();
            assertThat(call.name()).isEqualTo("get_weather");
            assertThat(call.arguments()).isEqualTo("{\"city\":\"Paris\"}");
            assertThat(upstream.recorded().get(0).body().path("tools").get(0).path("function").path("name").asText())
                    .isEqualTo("get_weather");

            Response answered = mesh.client().responses().create(ResponseCreateParams.builder().model("remote")
                    .previousResponseId(called.id()).inputOfResponse(List.of(ResponseInputItem.ofFunctionCallOutput(
                            ResponseInputItem.FunctionCallOutput.builder().callId(call.callId()).output("sunny, 21 C").build())))
                    .addTool(weather()).build());
            assertThat(answered.output().get(0).asMessage().content().get(0).asOutputText().text()).isEqualTo("It is sunny in Paris.");
            String sent = upstream.recorded().get(1).body().path("messages").toString();
            assertThat(sent).contains("\"tool_call_id\":\"" + call.callId() + "\"").contains("sunny, 21 C")
                    .contains("\"tool_calls\"");
        }
    }

    @Test
    void streamedEventsComeInOrderAndAssembleTheTextAndTheCall() throws Exception {
        try (StandInServer upstream = StandInServer.start("stream").reply("one two three four").streamChunks(4);
             Running mesh = gateway(upstream)) {
            List<String> types = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            try (StreamResponse<ResponseStreamEvent> events = mesh.client().responses().createStreaming(
                    ResponseCreateParams.builder().model("remote").input("count").build())) {
                events.stream().forEach(e -> {
                    types.add(type(e));
                    e.outputTextDelta().ifPresent(d -> text.append(d.delta()));
                });
            }
            assertThat(text.toString()).isEqualTo("one two three four");
            assertThat(types.get(0)).isEqualTo("response.created");
            assertThat(types.get(1)).isEqualTo("response.in_progress");
            assertThat(types).containsSubsequence("response.output_item.added", "response.content_part.added",
                    "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                    "response.output_item.done", "response.completed");
            assertThat(types.getLast()).isEqualTo("response.completed");
        }
        try (StandInServer upstream = StandInServer.start("stream-tools").callsTool("get_weather", "{\"city\":\"Oslo\"}");
             Running mesh = gateway(upstream)) {
            StringBuilder arguments = new StringBuilder();
            List<String> types = new ArrayList<>();
            try (StreamResponse<ResponseStreamEvent> events = mesh.client().responses().createStreaming(
                    ResponseCreateParams.builder().model("remote").input("weather in Oslo?").addTool(weather()).build())) {
                events.stream().forEach(e -> {
                    types.add(type(e));
                    e.functionCallArgumentsDelta().ifPresent(d -> arguments.append(d.delta()));
                    e.completed().ifPresent(c -> assertThat(c.response().output().stream()
                            .filter(ResponseOutputItem::isFunctionCall).findFirst().orElseThrow().asFunctionCall().arguments())
                            .isEqualTo("{\"city\":\"Oslo\"}"));
                });
            }
            assertThat(arguments.toString()).isEqualTo("{\"city\":\"Oslo\"}");
            assertThat(types).containsSubsequence("response.output_item.added", "response.function_call_arguments.delta",
                    "response.function_call_arguments.done", "response.output_item.done", "response.completed");
        }
    }

    /** The structured output of the test: the SDK derives its JSON schema from the class. */
    public static final class Weather {
        public String city;
        public int celsius;
    }

    @Test
    void structuredOutputGoesAsTheChatJsonSchemaAndComesBackParsed() throws Exception {
        try (StandInServer upstream = StandInServer.start("structured").reply("{\"city\":\"Paris\",\"celsius\":21}");
             Running mesh = gateway(upstream)) {
            var answer = mesh.client().responses().create(ResponseCreateParams.builder().model("remote")
                    .input("weather in Paris as JSON").maxOutputTokens(50).text(Weather.class).build());
            Weather weather = answer.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow();
            assertThat(weather.city).isEqualTo("Paris");
            assertThat(weather.celsius).isEqualTo(21);
            var sent = upstream.recorded().get(0).body();
            assertThat(sent.path("response_format").path("type").asText()).isEqualTo("json_schema");
            assertThat(sent.path("response_format").path("json_schema").path("schema").path("properties").has("celsius")).isTrue();
            assertThat(sent.path("max_tokens").asInt()).isEqualTo(50);
        }
    }

    /** A backend that has the Responses API itself gets the request as it is; accounting still holds. */
    @Test
    void aModelConfiguredForPassThroughGetsTheRequestAsItIsWholeAndStreamed() throws Exception {
        try (StandInServer upstream = StandInServer.start("native").reply("Served by the upstream's own API").streamChunks(3)) {
            MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                    server: { port: 0, state-dir: "%s", access-log: false }
                    models:
                      - { id: native, engine: openai, served-name: upstream-model, endpoints: ["%s"], responses-api: passthrough,
                          price: { input-per-mtok: 1, output-per-mtok: 2 } }
                    """.formatted(dir.resolve("state"), upstream.baseUrl()));
            MeshRuntime runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet());
            try {
                String base = "http://127.0.0.1:" + runtime.serve(config.server()).port();
                OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("none").maxRetries(0).build();
                Response whole = client.responses().create(ResponseCreateParams.builder().model("native")
                        .instructions("Be brief.").input("hello").previousResponseId("resp_upstream_0").build());
                assertThat(whole.id()).as("the upstream's id: its store holds the conversation").isEqualTo("resp_upstream_1");
                assertThat(whole.model().asString()).isEqualTo("native");
                assertThat(whole.output().get(0).asMessage().content().get(0).asOutputText().text())
                        .isEqualTo("Served by the upstream's own API");
                assertThat(whole.usage().orElseThrow()._additionalProperties()).containsKeys("cost_usd", "energy_wh");
                StandInServer.Recorded sent = upstream.recorded().getLast();
                assertThat(sent.path()).isEqualTo("/v1/responses");
                assertThat(sent.body().path("model").asText()).isEqualTo("upstream-model");
                assertThat(sent.body().path("input").asText()).as("not translated to messages").isEqualTo("hello");
                assertThat(sent.body().path("previous_response_id").asText()).isEqualTo("resp_upstream_0");
                assertThat(sent.body().has("messages")).isFalse();

                StringBuilder text = new StringBuilder();
                List<String> types = new ArrayList<>();
                try (StreamResponse<ResponseStreamEvent> events = client.responses().createStreaming(
                        ResponseCreateParams.builder().model("native").input("again").build())) {
                    events.stream().forEach(e -> {
                        types.add(type(e));
                        e.outputTextDelta().ifPresent(d -> text.append(d.delta()));
                        e.completed().ifPresent(c -> assertThat(c.response().usage().orElseThrow()._additionalProperties())
                                .containsKeys("cost_usd", "energy_wh"));
                    });
                }
                assertThat(text.toString()).isEqualTo("Served by the upstream's own API");
                assertThat(types.getFirst()).isEqualTo("response.created");
                assertThat(types.getLast()).isEqualTo("response.completed");
                assertThat(upstream.recorded().getLast().body().path("stream").asBoolean()).isTrue();
                assertThat(upstream.recorded().getLast().body().has("stream_options")).isFalse();

                java.net.http.HttpResponse<String> usage = java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/usage")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                JsonNode row = io.micromesh.api.Json.mapper().readTree(usage.body()).path("data").get(0);
                assertThat(row.path("group").asText()).isEqualTo("native");
                assertThat(row.path("requests").asInt()).as("both in the ledger").isEqualTo(2);
                assertThat(row.path("cost_usd").asDouble()).isPositive();
                client.close();
            } finally {
                runtime.close();
            }
        }
    }

    /** An event's type, as the SDK parsed it. */
    private static String type(ResponseStreamEvent e) {
        return e.isCreated() ? "response.created" : e.isInProgress() ? "response.in_progress"
                : e.isOutputItemAdded() ? "response.output_item.added" : e.isContentPartAdded() ? "response.content_part.added"
                : e.isOutputTextDelta() ? "response.output_text.delta" : e.isOutputTextDone() ? "response.output_text.done"
                : e.isContentPartDone() ? "response.content_part.done" : e.isOutputItemDone() ? "response.output_item.done"
                : e.isFunctionCallArgumentsDelta() ? "response.function_call_arguments.delta"
                : e.isFunctionCallArgumentsDone() ? "response.function_call_arguments.done"
                : e.isCompleted() ? "response.completed" : e.isError() ? "error" : "other";
    }
}
