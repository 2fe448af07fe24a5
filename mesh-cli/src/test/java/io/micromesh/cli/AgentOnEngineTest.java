package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionAssistantMessageParam;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ToolChoiceOptions;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.engines.pull.ProgressListener;
import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import io.micromesh.server.Gateway;
import io.micromesh.server.MeshRuntime;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents on a local engine: tool calling through the official OpenAI Java SDK (chat completions and
 * the Responses API) and LangChain4j's tool-calling agent, against a tiny random GGUF served by a
 * {@code mesh engine} worker. The model's words are random; what is tested is that every call it
 * makes names an offered tool with arguments that parse and fit the schema, whole and streamed, and
 * that results sent back are taken.
 */
@Timeout(300)
class AgentOnEngineTest {

    @TempDir
    static Path dir;

    private static MeshRuntime runtime;
    private static Gateway gateway;
    private static OpenAIClient client;
    private static Schema weatherSchema;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** Bounded arguments: a string of at most 12 characters and a small integer, so even greedy decoding ends. */
    static final Map<String, Object> WEATHER_PARAMETERS = Map.of("type", "object",
            "properties", Map.of("city", Map.of("type", "string", "maxLength", 12),
                    "days", Map.of("type", "integer", "minimum", 1, "maximum", 7)),
            "required", List.of("city", "days"), "additionalProperties", false);

    @BeforeAll
    static void start() throws Exception {
        Path tiny = dir.resolve("tiny.gguf");
        GgufWriter.writeRandomLlama(tiny, Shape.tiny(GgmlType.Q8_0), "tiny", 5);
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { port: 0, state-dir: "%s", access-log: false }
                models:
                  - { id: tiny, engine: llamacpp, file: "%s", slots: 2, context: 4096 }
                  - { id: plain, engine: llamacpp, file: "%s", slots: 1, context: 1024, capabilities: [chat, completions] }
                """.formatted(dir.resolve("state"), tiny, tiny));
        runtime = MeshRuntime.open(config, new MeshRuntime.Options(ServeCommand.workerCommand(), true,
                name -> ProgressListener.none(), line -> { }, Clock.systemUTC()));
        gateway = runtime.serve(config.server());
        client = OpenAIOkHttpClient.builder().baseUrl(url() + "/v1").apiKey("unused").maxRetries(0)
                .timeout(Duration.ofSeconds(120)).build();
        awaitReady("tiny");
        weatherSchema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(Json.mapper().valueToTree(WEATHER_PARAMETERS));
    }

    @AfterAll
    static void stop() {
        client.close();
        runtime.close();
    }

    static String url() {
        return "http://127.0.0.1:" + gateway.port();
    }

    static void awaitReady(String model) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            for (JsonNode entry : Json.mapper().readTree(models.body()).path("data")) {
                if (entry.path("id").asText().equals(model) && entry.path("mesh").path("status").asText().equals("ready")) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("model " + model + " not ready");
    }

    static ChatCompletionFunctionTool weatherTool() {
        FunctionParameters.Builder parameters = FunctionParameters.builder();
        WEATHER_PARAMETERS.forEach((key, value) -> parameters.putAdditionalProperty(key, JsonValue.from(value)));
        return ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_weather")
                .description("The weather forecast for a city").parameters(parameters.build()).build()).build();
    }

    static ChatCompletionCreateParams.Builder ask(long seed) {
        return ChatCompletionCreateParams.builder().model("tiny").addUserMessage("What is the weather in Paris for 3 days?")
                .addTool(weatherTool()).toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).parallelToolCalls(false)
                .maxCompletionTokens(300).seed(seed).logitBias(EngineWorkerGatewayTest.asciiOnly(true));
    }

    static void fits(String name, String arguments) throws Exception {
        assertThat(name).isEqualTo("get_weather");
        assertThat(weatherSchema.validate(Json.mapper().readTree(arguments))).as(arguments).isEmpty();
    }

    @Test
    void withToolChoiceRequiredEveryAnswerIsACallThatFitsTheSchema() throws Exception {
        for (long seed = 1; seed <= 5; seed++) {
            ChatCompletion completion = client.chat().completions().create(ask(seed).build());
            ChatCompletion.Choice choice = completion.choices().get(0);
            assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
            List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
            assertThat(calls).hasSize(1);
            ChatCompletionMessageFunctionToolCall call = calls.get(0).asFunction();
            assertThat(call.id()).startsWith("call_");
            fits(call.function().name(), call.function().arguments());
        }
    }

    @Test
    void aToolResultSentBackIsTakenAndStreamedCallsAssembleIntoTheSameCall() throws Exception {
        ChatCompletion called = client.chat().completions().create(ask(3).build());
        ChatCompletionMessageFunctionToolCall call = called.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();

        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(ask(3).build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        ChatCompletion streamed = accumulator.chatCompletion();
        ChatCompletionMessageFunctionToolCall streamedCall = streamed.choices().get(0).message().toolCalls().orElseThrow()
                .get(0).asFunction();
        assertThat(streamed.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        assertThat(streamedCall.function().name()).isEqualTo(call.function().name());
        assertThat(streamedCall.function().arguments()).isEqualTo(call.function().arguments());

        ChatCompletionCreateParams.Builder question = ChatCompletionCreateParams.builder().model("tiny")
                .addUserMessage("What is the weather in Paris for 3 days?").addTool(weatherTool())
                .toolChoice(ChatCompletionToolChoiceOption.Auto.NONE).maxCompletionTokens(8).seed(1L)
                .logitBias(EngineWorkerGatewayTest.asciiOnly(false));
        ChatCompletion alone = client.chat().completions().create(question.build());
        ChatCompletion answered = client.chat().completions().create(question
                .addMessage(ChatCompletionAssistantMessageParam.builder()
                        .addToolCall(ChatCompletionMessageToolCall.ofFunction(call)).build())
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id()).content("sunny, 21 C").build())
                .build());
        assertThat(answered.choices().get(0).message().content()).hasValueSatisfying(text -> assertThat(text).hasSize(8));
        assertThat(answered.usage().orElseThrow().promptTokens() - alone.usage().orElseThrow().promptTokens())
                .as("the call and its result are in the prompt (one token per byte)")
                .isGreaterThanOrEqualTo("sunny, 21 C".length() + call.function().arguments().length());
    }

    @Test
    void aModelWithoutTheToolsCapabilityRefusesWith400NamingIt() {
        assertThatThrownBy(() -> client.chat().completions().create(ask(1).model("plain").build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("tools").contains("plain");
                    assertThat(e.body().toString()).contains("param=tools").contains("model_lacks_capability");
                });
    }

    static FunctionTool responsesWeatherTool() {
        FunctionTool.Parameters.Builder parameters = FunctionTool.Parameters.builder();
        WEATHER_PARAMETERS.forEach((key, value) -> parameters.putAdditionalProperty(key, JsonValue.from(value)));
        return FunctionTool.builder().name("get_weather").strict(true).parameters(parameters.build()).build();
    }

    @Test
    void theResponsesApiCallsAToolStreamsItAndTakesItsResult() throws Exception {
        ResponseCreateParams ask = ResponseCreateParams.builder().model("tiny").input("What is the weather in Paris?")
                .addTool(responsesWeatherTool()).toolChoice(ToolChoiceOptions.REQUIRED).parallelToolCalls(false)
                .temperature(0.0).maxOutputTokens(300L).build();
        Response called = client.responses().create(ask);
        ResponseFunctionToolCall call = called.output().stream().filter(ResponseOutputItem::isFunctionCall).findFirst()
                .orElseThrow().asFunctionCall();
        fits(call.name(), call.arguments());
        assertThat(called.usage().orElseThrow()._additionalProperties()).containsKeys("cost_usd", "energy_wh");

        List<String> types = new CopyOnWriteArrayList<>();
        StringBuilder arguments = new StringBuilder();
        try (StreamResponse<ResponseStreamEvent> events = client.responses().createStreaming(ask)) {
            events.stream().forEach(event -> {
                types.add(Json.mapper().valueToTree(event).path("type").asText());
                event.functionCallArgumentsDelta().ifPresent(delta -> arguments.append(delta.delta()));
            });
        }
        assertThat(types.getFirst()).isEqualTo("response.created");
        assertThat(types).containsSubsequence("response.output_item.added", "response.function_call_arguments.delta",
                "response.function_call_arguments.done", "response.output_item.done", "response.completed");
        assertThat(arguments.toString()).as("greedy decoding: the same call streamed").isEqualTo(call.arguments());

        Response answered = client.responses().create(ResponseCreateParams.builder().model("tiny")
                .previousResponseId(called.id()).inputOfResponse(List.of(ResponseInputItem.ofFunctionCallOutput(
                        ResponseInputItem.FunctionCallOutput.builder().callId(call.callId()).output("sunny, 21 C").build())))
                .addTool(responsesWeatherTool()).toolChoice(ToolChoiceOptions.NONE).temperature(0.0).maxOutputTokens(6L)
                .build());
        assertThat(answered.previousResponseId()).contains(called.id());
        assertThat(answered.output().stream().filter(ResponseOutputItem::isMessage)).hasSize(1);
        Response alone = client.responses().create(ResponseCreateParams.builder().model("tiny")
                .input("What is the weather in Paris?").addTool(responsesWeatherTool()).toolChoice(ToolChoiceOptions.NONE)
                .temperature(0.0).maxOutputTokens(6L).build());
        assertThat(answered.usage().orElseThrow().inputTokens() - alone.usage().orElseThrow().inputTokens())
                .as("the stored conversation, the call and its result were sent (one token per byte)")
                .isGreaterThanOrEqualTo("sunny, 21 C".length() + call.arguments().length());
    }

    @Test
    void meshBenchAgentReplaysToolCallingRunsAndReportsTasksCostAndTheInteractiveLane() throws Exception {
        MeshCli.Run run = MeshCli.mesh("bench", "--agent", "--url", url() + "/v1", "--model", "tiny", "--compare-model", "tiny",
                "--tasks", "3", "--steps", "3", "--concurrency", "2", "--result-words", "8", "--output-tokens", "200",
                "--interactive-rate", "5", "--timeout", "120");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode result = run.result();
        for (String side : List.of("a", "b")) {
            JsonNode round = result.path(side).get(0);
            assertThat(round.path("tasks").asInt()).as(round.toString()).isEqualTo(3);
            assertThat(round.path("failed_tasks").asInt()).isZero();
            assertThat(round.path("tool_calls").asText()).as("every step but the last called the tool").isEqualTo("6/6");
            assertThat(round.path("models").path("tiny").asInt()).isEqualTo(9);
            assertThat(round.path("tasks_per_s").asDouble()).isPositive();
            assertThat(round.path("interactive_p99_ms").asDouble()).isPositive();
            assertThat(round.path("interactive_alone_p99_ms").asDouble()).isPositive();
        }
        assertThat(run.out()).contains("B/A: tasks_per_s");
        assertThat(MeshCli.mesh("bench", "--agent", "--url", url() + "/v1", "--model", "tiny", "--steps", "1").err())
                .contains("--steps must be at least 2");
    }

    /** The agent's tool: records what the model asked. */
    public static final class WeatherTools {
        final List<String> asked = new CopyOnWriteArrayList<>();

        @Tool("The weather forecast for a city")
        public String weather(@P("the city") String city, @P("days ahead, 1 to 7") int days) {
            asked.add(city + "/" + days);
            return "sunny in " + city + " for " + days + " days";
        }
    }

    interface Assistant {
        String chat(String question);
    }

    @Test
    void langChain4jsToolCallingAgentRunsItsLoopOnTheLocalEngine() {
        Map<String, Integer> bias = new HashMap<>();
        EngineWorkerGatewayTest.asciiOnly(true)._additionalProperties()
                .forEach((token, value) -> bias.put(token, Integer.parseInt(value.toString())));
        bias.put(String.valueOf(GgufWriter.byteTokenId('<')), 3);  // '<' opens a call: the agent sees calls and text
        List<String> answers = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        WeatherTools tools = new WeatherTools();
        for (int seed = 1; seed <= 6 && (tools.asked.isEmpty() || answers.isEmpty()); seed++) {
            OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(url() + "/v1").apiKey("unused").modelName("tiny")
                    .seed(seed).maxTokens(200).logitBias(bias).timeout(Duration.ofSeconds(120)).build();
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).tools(tools)
                    .maxSequentialToolsInvocations(8).build();
            try {
                answers.add(assistant.chat("What is the weather in Paris for the next 3 days?"));
            } catch (RuntimeException tooManyCalls) {
                // a random model may keep calling; another seed is tried
                failures.add(tooManyCalls.toString());
            }
        }
        assertThat(tools.asked).as("the agent executed the model's calls; failed runs: " + failures).isNotEmpty();
        assertThat(tools.asked).allSatisfy(asked -> assertThat(asked).matches("(?s).*/[0-9-]+"));
        assertThat(answers).as("and a run ended with the model's text answer").isNotEmpty();
    }
}
