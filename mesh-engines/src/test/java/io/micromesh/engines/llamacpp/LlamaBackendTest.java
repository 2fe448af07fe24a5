package io.micromesh.engines.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.CompletionRequest;
import io.micromesh.api.Json;
import io.micromesh.core.MeshException;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ClientGoneException;
import io.micromesh.core.spi.Usage;
import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufException;
import io.micromesh.engines.gguf.GgufWriter;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The llama.cpp backend on a tiny random model from the GGUF writer: prompts, sampling parameters,
 * derived token counts and finish reasons, JSON grammars, streaming, cancellation, slots and the
 * attribution of CPU time. The model is random, so tests bias it away from what would make its
 * output ambiguous (non-ASCII bytes, end-of-sequence) with {@code logit_bias}, a client parameter.
 */
class LlamaBackendTest {

    @TempDir
    static Path dir;

    private static LlamaBackend backend;
    private static EnergyLedger ledger;

    @BeforeAll
    static void load() {
        Path file = dir.resolve("tiny.gguf");
        GgufWriter.writeRandomLlama(file, Shape.tiny(GgmlType.F32), "tiny", 11);
        ledger = LlamaBackend.processLedger();
        backend = LlamaBackend.load(new LlamaBackend.Options(file, "tiny", 2, 512, 2, false), ledger, Clock.systemUTC());
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** logit_bias that keeps the random model on printable ASCII and (unless allowed) away from its end tokens. */
    static ObjectNode asciiOnly(boolean allowEnd) {
        ObjectNode bias = Json.object();
        for (int id = 0; id < GgufWriter.vocabulary().size(); id++) {
            boolean printable = id >= GgufWriter.byteTokenId(0x20) && id < GgufWriter.byteTokenId(0x7F);
            if (!printable && !(allowEnd && GgufWriter.END_TOKEN_IDS.contains(id))) {
                bias.put(String.valueOf(id), -100);
            }
        }
        return bias;
    }

    static ChatRequest chat(String extra) {
        return ChatRequest.parse(Json.parseObject(("{\"model\":\"tiny\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":\"hello there\"}]" + extra + "}").getBytes(StandardCharsets.UTF_8)));
    }

    static String bias(boolean allowEnd) {
        return ",\"logit_bias\":" + asciiOnly(allowEnd);
    }

    @Test
    void chatIsAnsweredInOpenAiShapeWithDerivedCountsAndLengthWhenTheLimitIsReached() {
        BackendReply reply = backend.call(chat(",\"max_tokens\":12,\"seed\":3" + bias(false)));
        JsonNode body = reply.body();
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        JsonNode choice = body.path("choices").get(0);
        assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(choice.path("message").path("content").asText()).hasSize(12);  // one ASCII byte per token
        assertThat(choice.path("finish_reason").asText()).isEqualTo("length");
        assertThat(reply.tokens().completion()).isEqualTo(12);
        // "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\n"
        // holds at least the bytes of its words, and the chat template's markers
        assertThat(reply.tokens().prompt()).isGreaterThan("be brief".length() + "hello there".length());
        assertThat(body.path("usage").path("prompt_tokens").asLong()).isEqualTo(reply.tokens().prompt());
        assertThat(body.path("usage").path("completion_tokens").asLong()).isEqualTo(12);
    }

    @Test
    void theSameSeedGivesTheSameTextAndAStopStringEndsItWithStop() {
        String first = text(backend.call(chat(",\"max_tokens\":24,\"seed\":5" + bias(false))));
        String again = text(backend.call(chat(",\"max_tokens\":24,\"seed\":5" + bias(false))));
        assertThat(again).isEqualTo(first);

        String stop = first.substring(6, 7);
        BackendReply stopped = backend.call(chat(",\"max_tokens\":24,\"seed\":5,\"stop\":" + Json.mapper().valueToTree(stop)
                + bias(false)));
        assertThat(text(stopped)).isEqualTo(first.substring(0, first.indexOf(stop)));
        assertThat(stopped.body().path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void jsonSchemaIsEnforcedByTheGrammarIncludingEnumAndMaxLength() throws Exception {
        String format = ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"pick\",\"schema\":"
                + "{\"type\":\"object\",\"properties\":{\"color\":{\"enum\":[\"red\",\"green\"]},"
                + "\"label\":{\"type\":\"string\",\"maxLength\":6}},\"required\":[\"color\",\"label\"],"
                + "\"additionalProperties\":false}}}";
        for (int seed = 1; seed <= 3; seed++) {
            BackendReply reply = backend.call(chat(",\"max_tokens\":200,\"seed\":" + seed + format + bias(true)));
            String content = text(reply);
            JsonNode json = Json.mapper().readTree(content);
            assertThat(json.path("color").asText()).isIn("red", "green");
            assertThat(json.path("label").asText().length()).isLessThanOrEqualTo(6);
            assertThat(reply.body().path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        }
    }

    /** Issue 16: a schema or a token id llama.cpp cannot take aborted the worker; now each is refused in Java. */
    @Test
    void inputsThatWouldCrashLlamaCppAreRefusedAndTheModelServesOn() {
        for (String schema : List.of("{\"type\":\"banana\"}", "{\"$ref\":\"#/nowhere\"}",
                "{\"$ref\":\"https://example.com/s.json\"}", "{\"type\":\"integer\",\"minimum\":\"3\"}",
                "{\"type\":\"string\",\"pattern\":\"[a-z]+\"}", "{\"type\":\"string\",\"pattern\":\"^a]$\"}")) {
            assertThatThrownBy(() -> backend.call(chat(",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                    + "{\"name\":\"x\",\"schema\":" + schema + "}}")))
                    .as(schema)
                    .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.failure())
                            .isEqualTo(MeshException.Failure.INVALID_REQUEST));
        }
        int vocabulary = GgufWriter.vocabulary().size();
        assertThatThrownBy(() -> CompletionRequest.parse(Json.parseObject("{\"model\":\"tiny\",\"prompt\":[-1]}"
                .getBytes(StandardCharsets.UTF_8)))).hasMessageContaining("token ids are whole numbers from 0");
        for (String prompt : List.of("[99999999]", "[[1, " + vocabulary + "]]")) {
            assertThatThrownBy(() -> backend.call(CompletionRequest.parse(Json.parseObject(("{\"model\":\"tiny\",\"prompt\":"
                    + prompt + ",\"max_tokens\":2}").getBytes(StandardCharsets.UTF_8)))))
                    .as(prompt)
                    .isInstanceOfSatisfying(MeshException.class, e -> {
                        assertThat(e.param()).hasValue("prompt");
                        assertThat(e.getMessage()).contains("token ids are from 0 to " + (vocabulary - 1));
                    });
        }
        assertThatThrownBy(() -> backend.call(chat(",\"logit_bias\":{\"99999999\":5}")))
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.param()).hasValue("logit_bias"));
        assertThat(text(backend.call(chat(",\"max_tokens\":4" + bias(false))))).isNotEmpty();
    }

    @Test
    void aPatternTheGuardAcceptsBecomesAGrammarTheModelFollows() throws Exception {
        String format = ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"code\",\"schema\":"
                + "{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}-[0-9]{3}$\"},"
                + "\"answer\":{\"type\":\"string\",\"pattern\":\"^(yes|no)\\\\?$\"}},\"required\":[\"code\",\"answer\"],"
                + "\"additionalProperties\":false}}}";
        BackendReply reply = backend.call(chat(",\"max_tokens\":300,\"seed\":3" + format + bias(true)));
        JsonNode json = Json.mapper().readTree(text(reply));
        assertThat(json.path("code").asText()).matches("[A-Z]{2}-[0-9]{3}");
        assertThat(json.path("answer").asText()).isIn("yes?", "no?");
    }

    @Test
    void aJsonAnswerCutByTheLimitIsLengthEvenWhenMultiByteCharactersMergeTokens() {
        // the string must be longer than the limit allows; its characters are 't' (one token) and 'é' (two byte
        // tokens that arrive merged as one piece), so counting pieces alone would stay below the limit
        String format = ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"long\",\"schema\":"
                + "{\"type\":\"object\",\"properties\":{\"t\":{\"type\":\"string\",\"minLength\":100}},"
                + "\"required\":[\"t\"],\"additionalProperties\":false}}}";
        ObjectNode bias = Json.object();
        for (int id = 0; id < GgufWriter.vocabulary().size(); id++) {
            bias.put(String.valueOf(id), -100);
        }
        for (int b : new int[] {'{', '}', '"', ':', 't', 0xC3, 0xA9}) {
            bias.remove(String.valueOf(GgufWriter.byteTokenId(b)));
        }
        BackendReply reply = backend.call(chat(",\"max_tokens\":60,\"seed\":4" + format + ",\"logit_bias\":" + bias));
        assertThat(text(reply)).startsWith("{\"t\":\"");
        assertThatThrownBy(() -> Json.mapper().readTree(text(reply))).as("an unfinished string").isInstanceOf(IOException.class);
        assertThat(reply.body().path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void jsonObjectFormatGivesAJsonObject() throws Exception {
        BackendReply reply = backend.call(chat(",\"max_tokens\":300,\"seed\":2,\"response_format\":{\"type\":\"json_object\"}"
                + bias(true)));
        assertThat(reply.body().path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(Json.mapper().readTree(text(reply)).isObject()).isTrue();
    }

    @Test
    void aStreamDeliversTheSameTextInPiecesThenTheFinishReasonThenUsage() {
        String whole = text(backend.call(chat(",\"max_tokens\":10,\"seed\":9" + bias(false))));
        List<ObjectNode> chunks = new ArrayList<>();
        Usage usage = backend.stream(chat(",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"max_tokens\":10,\"seed\":9" + bias(false)), chunks::add);
        StringBuilder streamed = new StringBuilder();
        chunks.forEach(c -> c.path("choices").forEach(choice -> streamed.append(choice.path("delta").path("content").asText(""))));
        assertThat(streamed.toString()).isEqualTo(whole);
        assertThat(chunks.getFirst().path("choices").get(0).path("delta").path("role").asText()).isEqualTo("assistant");
        assertThat(chunks).allSatisfy(c -> assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk"));
        ObjectNode finish = chunks.get(chunks.size() - 2);
        assertThat(finish.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
        ObjectNode last = chunks.getLast();
        assertThat(last.path("choices")).isEmpty();
        assertThat(last.path("usage").path("completion_tokens").asLong()).isEqualTo(10).isEqualTo(usage.completion());
    }

    @Test
    void textCompletionsWorkWholeAndStreamed() {
        CompletionRequest request = CompletionRequest.parse(Json.parseObject(
                ("{\"model\":\"tiny\",\"prompt\":\"Once upon a time\",\"max_tokens\":5,\"seed\":1" + bias(false) + "}")
                        .getBytes(StandardCharsets.UTF_8)));
        BackendReply reply = backend.call(request);
        assertThat(reply.body().path("object").asText()).isEqualTo("text_completion");
        assertThat(reply.body().path("choices").get(0).path("text").asText()).hasSize(5);
        List<ObjectNode> chunks = new ArrayList<>();
        backend.stream(request, chunks::add);
        assertThat(chunks).allSatisfy(c -> assertThat(c.path("object").asText()).isEqualTo("text_completion"));
        StringBuilder streamed = new StringBuilder();
        chunks.forEach(c -> streamed.append(c.path("choices").get(0).path("text").asText()));
        assertThat(streamed.toString()).isEqualTo(reply.body().path("choices").get(0).path("text").asText());
    }

    @Test
    void aStreamAbandonedByItsClientIsCancelledAndFreesItsSlot() throws Exception {
        long before = backend.cancelled();
        List<ObjectNode> seen = new ArrayList<>();
        assertThatThrownBy(() -> backend.stream(chat(",\"stream\":true,\"seed\":4" + bias(false)), chunk -> {
            seen.add(chunk);
            if (seen.size() == 3) {
                throw new ClientGoneException(null);
            }
        })).isInstanceOf(ClientGoneException.class);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((backend.cancelled() == before || backend.busy() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(backend.cancelled()).isEqualTo(before + 1);
        assertThat(backend.busy()).isZero();
    }

    @Test
    void twoSlotsGenerateSideBySide() throws Exception {
        List<long[]> spans = new CopyOnWriteArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int seed = 20 + i;
                runs.add(clients.submit(() -> {
                    List<Long> times = new ArrayList<>();
                    backend.stream(chat(",\"stream\":true,\"max_tokens\":200,\"seed\":" + seed + bias(false)),
                            chunk -> times.add(System.nanoTime()));
                    spans.add(new long[] {times.get(1), times.get(times.size() - 2)});
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
        }
        long[] a = spans.get(0);
        long[] b = spans.get(1);
        // each stream's tokens arrive while the other's are still coming
        assertThat(a[0]).isLessThan(b[1]);
        assertThat(b[0]).isLessThan(a[1]);
    }

    @Test
    void aPromptLongerThanTheContextIsAnInvalidRequest() {
        String longText = "word ".repeat(400);
        assertThatThrownBy(() -> backend.call(ChatRequest.parse(Json.parseObject(
                ("{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}")
                        .getBytes(StandardCharsets.UTF_8)))))
                .isInstanceOfSatisfying(MeshException.class, e -> {
                    assertThat(e.failure()).isEqualTo(MeshException.Failure.INVALID_REQUEST);
                    assertThat(e.code()).hasValue("context_length_exceeded");
                    assertThat(e.param()).hasValue("messages");
                    assertThat(e.getMessage()).contains("512 tokens");
                });
    }

    @Test
    void theDeprecatedFunctionRoleIsRefusedWithAClearError() {
        assertThatThrownBy(() -> backend.call(ChatRequest.parse(Json.parseObject(
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"function\",\"content\":\"42\",\"name\":\"f\"}]}"
                        .getBytes(StandardCharsets.UTF_8)))))
                .isInstanceOfSatisfying(MeshException.class, e -> {
                    assertThat(e.failure()).isEqualTo(MeshException.Failure.INVALID_REQUEST);
                    assertThat(e.param()).hasValue("messages[1].role");
                    assertThat(e.getMessage()).contains("role 'function'").contains("tool");
                });
    }

    @Test
    void cpuTimeAttributedToConcurrentRequestsAddsUpToWhatTheProcessUsed() throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        List<Double> shares = new CopyOnWriteArrayList<>();
        double unattributedBefore = ledger.unattributedCpuSeconds();
        long cpuBefore = os.getProcessCpuTime();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int client = i;
                runs.add(clients.submit(() -> {
                    for (int r = 0; r < 6; r++) {
                        shares.add(backend.call(chat(",\"max_tokens\":150,\"seed\":" + (client * 10 + r) + bias(false)))
                                .tokens().cpuSeconds());
                    }
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
        }
        double total = (os.getProcessCpuTime() - cpuBefore) / 1e9;
        double attributed = shares.stream().mapToDouble(Double::doubleValue).sum();
        assertThat(shares).allSatisfy(share -> assertThat(share).isPositive());
        assertThat(attributed / total).as("attributed %.3f s of %.3f s (unattributed while idle: %.3f s)",
                attributed, total, ledger.unattributedCpuSeconds() - unattributedBefore).isBetween(0.95, 1.05);
    }

    @Test
    void aFileThatIsNotGgufIsRefusedBeforeNativeCode(@TempDir Path other) throws Exception {
        Path bogus = other.resolve("model.gguf");
        Files.writeString(bogus, "<html>not a model</html>");
        assertThatThrownBy(() -> LlamaBackend.load(new LlamaBackend.Options(bogus, "x", 1, 64, 1, false), ledger, Clock.systemUTC()))
                .isInstanceOf(GgufException.class)
                .hasMessageContaining(bogus.toString());
        assertThatThrownBy(() -> LlamaBackend.load(new LlamaBackend.Options(other.resolve("absent.gguf"), "x", 1, 64, 1, false),
                ledger, Clock.systemUTC()))
                .isInstanceOf(GgufException.class);
    }

    private static String text(BackendReply reply) {
        return reply.body().path("choices").get(0).path("message").path("content").asText();
    }
}
