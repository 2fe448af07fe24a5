package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import io.micromesh.api.Json;
import io.micromesh.core.Portfolio;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.engines.Engines;
import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import io.micromesh.server.Gateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway over engine workers: {@code llamacpp} models are served by {@code mesh engine} child
 * processes, reached through the same client code as remote servers, and used here through the
 * official OpenAI Java SDK. The model is a tiny random GGUF from the writer, kept on printable
 * ASCII with {@code logit_bias} so that text lengths are unambiguous.
 */
class EngineWorkerGatewayTest {

    @TempDir
    static Path dir;

    private static ExecutorService background;
    private static Portfolio portfolio;
    private static Gateway gateway;
    private static OpenAIClient client;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Path tiny = dir.resolve("tiny.gguf");
        GgufWriter.writeRandomLlama(tiny, Shape.tiny(GgmlType.Q8_0), "tiny", 5);
        Path corrupt = dir.resolve("corrupt.gguf");
        Files.write(corrupt, Files.readAllBytes(tiny), java.nio.file.StandardOpenOption.CREATE);
        try (var file = java.nio.channels.FileChannel.open(corrupt, java.nio.file.StandardOpenOption.WRITE)) {
            file.truncate(Files.size(tiny) / 2);  // a download cut in the middle
        }
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { access-log: false }
                models:
                  - id: tiny
                    engine: llamacpp
                    file: %s
                    slots: 2
                    context: 512
                    hardware: { kind: cpu, cores: 2, watts: 30 }
                  - id: corrupt
                    engine: llamacpp
                    file: %s
                  - id: absent
                    engine: llamacpp
                    file: %s
                """.formatted(tiny, corrupt, dir.resolve("absent.gguf"))).withPort(0);
        background = Executors.newVirtualThreadPerTaskExecutor();
        portfolio = Engines.open(config, Clock.systemUTC(), background, ServeCommand.workerCommand());
        gateway = Gateway.start(config.server(), portfolio, Clock.systemUTC());
        client = OpenAIOkHttpClient.builder().baseUrl(url() + "/v1").apiKey("unused").maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
        awaitReady("tiny");
    }

    @AfterAll
    static void stop() {
        client.close();
        gateway.drainAndStop();
        portfolio.close();
        background.shutdownNow();
    }

    /** The worker path on a GGUF nobody here wrote (Llama-2's real 32,000-token vocabulary), when ../shared is there. */
    @Test
    void aForeignGgufIsServedThroughItsOwnWorker() throws Exception {
        Path shared = Path.of("..", "..", "shared", "models", "llama-2-tiny-random.gguf");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(shared), "../shared/models is absent");
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { access-log: false }
                models:
                  - { id: llama2-tiny, engine: llamacpp, file: "%s", slots: 1, context: 256 }
                """.formatted(shared.toAbsolutePath())).withPort(0);
        try (Portfolio foreign = Engines.open(config, Clock.systemUTC(), background, ServeCommand.workerCommand())) {
            Gateway own = Gateway.start(config.server(), foreign, Clock.systemUTC());
            try {
                String base = "http://127.0.0.1:" + own.port();
                HttpRequest chat = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                        .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"llama2-tiny\",\"max_tokens\":8,\"seed\":1,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}")).build();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                HttpResponse<String> answer = HTTP.send(chat, HttpResponse.BodyHandlers.ofString());
                while (answer.statusCode() == 503 && System.nanoTime() < deadline) {  // the worker is still loading
                    Thread.sleep(200);
                    answer = HTTP.send(chat, HttpResponse.BodyHandlers.ofString());
                }
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                JsonNode usage = Json.mapper().readTree(answer.body()).path("usage");
                assertThat(usage.path("prompt_tokens").asInt()).as("Llama-2's vocabulary: a few tokens, not bytes")
                        .isBetween(3, 60);
                assertThat(usage.path("completion_tokens").asInt()).isBetween(1, 8);
            } finally {
                own.drainAndStop();
            }
        }
    }

    static String url() {
        return "http://127.0.0.1:" + gateway.port();
    }

    static void awaitReady(String model) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (modelStatus(model).path("status").asText().equals("ready")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("model " + model + " not ready: " + modelStatus(model));
    }

    static JsonNode modelStatus(String model) throws Exception {
        HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        for (JsonNode entry : Json.mapper().readTree(models.body()).path("data")) {
            if (entry.path("id").asText().equals(model)) {
                return entry.path("mesh");
            }
        }
        throw new AssertionError("no model " + model + " in " + models.body());
    }

    /** Printable ASCII only; end tokens allowed when {@code allowEnd}. */
    static ChatCompletionCreateParams.LogitBias asciiOnly(boolean allowEnd) {
        ChatCompletionCreateParams.LogitBias.Builder bias = ChatCompletionCreateParams.LogitBias.builder();
        for (int id = 0; id < GgufWriter.vocabulary().size(); id++) {
            boolean printable = id >= GgufWriter.byteTokenId(0x20) && id < GgufWriter.byteTokenId(0x7F);
            if (!printable && !(allowEnd && GgufWriter.END_TOKEN_IDS.contains(id))) {
                bias.putAdditionalProperty(String.valueOf(id), JsonValue.from(-100));
            }
        }
        return bias.build();
    }

    static ChatCompletionCreateParams.Builder chat(long maxTokens, long seed) {
        return ChatCompletionCreateParams.builder().model("tiny").addSystemMessage("Answer briefly.")
                .addUserMessage("What is the capital of France?").maxCompletionTokens(maxTokens).seed(seed)
                .logitBias(asciiOnly(false));
    }

    @Test
    void chatsThroughTheWorkerWithCountsAndMeasuredEnergy() {
        ChatCompletion completion = client.chat().completions().create(chat(16, 1).build());
        assertThat(completion.model()).isEqualTo("tiny");
        assertThat(completion.choices().get(0).message().content()).hasValueSatisfying(text -> assertThat(text).hasSize(16));
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
        assertThat(completion.usage()).hasValueSatisfying(usage -> {
            assertThat(usage.completionTokens()).isEqualTo(16);
            assertThat(usage.promptTokens()).isGreaterThan(20);
            double cpuSeconds = Double.parseDouble(usage._additionalProperties().get("cpu_seconds").toString());
            double energyWh = Double.parseDouble(usage._additionalProperties().get("energy_wh").toString());
            assertThat(cpuSeconds).isPositive();
            // method cpu-time: core-seconds times watts per core (30 W / 2 cores), in watt-hours
            assertThat(energyWh).isCloseTo(cpuSeconds * 15 / 3600, org.assertj.core.data.Offset.offset(1e-12));
        });
    }

    @Test
    void streamsAChatWithUsageAtTheEnd() {
        StringBuilder text = new StringBuilder();
        List<String> finishes = new ArrayList<>();
        long[] completionTokens = {-1};
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(12, 2)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunk.choices().forEach(c -> {
                    c.delta().content().ifPresent(text::append);
                    c.finishReason().ifPresent(f -> finishes.add(f.asString()));
                });
                chunk.usage().ifPresent(u -> completionTokens[0] = u.completionTokens());
            });
        }
        assertThat(text).hasSize(12);
        assertThat(finishes).containsExactly("length");
        assertThat(completionTokens[0]).isEqualTo(12);
    }

    @Test
    void jsonSchemaOutputParsesAndRespectsEnumAndMaxLength() throws Exception {
        ResponseFormatJsonSchema.JsonSchema.Schema schema = ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of(
                        "city", Map.of("enum", List.of("Paris", "Lyon", "Nice")),
                        "note", Map.of("type", "string", "maxLength", 10))))
                .putAdditionalProperty("required", JsonValue.from(List.of("city", "note")))
                .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                .build();
        for (long seed = 1; seed <= 3; seed++) {
            ChatCompletion completion = client.chat().completions().create(chat(200, seed).logitBias(asciiOnly(true))
                    .jsonSchemaResponseFormat(ResponseFormatJsonSchema.JsonSchema.builder().name("answer").schema(schema).build())
                    .build());
            assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
            JsonNode json = Json.mapper().readTree(completion.choices().get(0).message().content().orElseThrow());
            assertThat(json.path("city").asText()).isIn("Paris", "Lyon", "Nice");
            assertThat(json.path("note").asText().length()).isLessThanOrEqualTo(10);
        }
    }

    @Test
    void aJsonAnswerCutByTheTokenBudgetIsReportedAsLength() {
        ChatCompletion completion = client.chat().completions().create(chat(5, 1).logitBias(asciiOnly(true))
                .responseFormat(com.openai.models.ResponseFormatJsonObject.builder().build()).build());
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
    }

    @Test
    void twoRequestsOnTwoSlotsOverlap() throws Exception {
        List<long[]> spans = new CopyOnWriteArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                long seed = 30 + i;
                runs.add(clients.submit(() -> {
                    List<Long> times = new ArrayList<>();
                    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                            .createStreaming(chat(300, seed).build())) {
                        stream.stream().forEach(chunk -> {
                            if (chunk.choices().stream().anyMatch(c -> c.delta().content().filter(t -> !t.isEmpty()).isPresent())) {
                                times.add(System.nanoTime());
                            }
                        });
                    }
                    spans.add(new long[] {times.getFirst(), times.getLast()});
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
        }
        // the first token of each arrives before the last token of the other: generated side by side
        assertThat(spans.get(0)[0]).isLessThan(spans.get(1)[1]);
        assertThat(spans.get(1)[0]).isLessThan(spans.get(0)[1]);
    }

    @Test
    void logprobsAreRefusedWithA400ThatSaysWhy() {
        assertThatThrownBy(() -> client.chat().completions().create(chat(4, 1).logprobs(true).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.param()).hasValue("logprobs");
                    assertThat(e.getMessage()).contains("engine llamacpp");
                });
    }

    @Test
    void aCorruptOrMissingModelFileIsReportedAndTheRestServes() throws Exception {
        assertThat(modelStatus("corrupt").path("status").asText()).isEqualTo("unavailable");
        assertThat(modelStatus("corrupt").path("status_detail").asText()).contains("corrupt.gguf").contains("truncated");
        assertThat(modelStatus("absent").path("status").asText()).isEqualTo("unavailable");
        assertThat(modelStatus("absent").path("status_detail").asText()).contains("absent.gguf");
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model("corrupt")
                .addUserMessage("hi").build()))
                .isInstanceOfSatisfying(InternalServerException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(503);
                    assertThat(e.getMessage()).contains("corrupt.gguf");
                });
        assertThat(client.chat().completions().create(chat(3, 1).build()).choices()).hasSize(1);
    }
}
