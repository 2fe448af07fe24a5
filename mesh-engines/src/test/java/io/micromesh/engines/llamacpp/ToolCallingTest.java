package io.micromesh.engines.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.Json;
import io.micromesh.core.MeshException;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tool calling on llama.cpp models, on tiny random models from the GGUF writer (one with a ChatML
 * template, one with Granite's): whatever the random weights would say, the grammar built from the
 * tools' schemas makes every call name an offered tool with arguments that parse and fit its
 * schema; streamed calls assemble into the same call as the whole answer; tool results go back.
 */
@Timeout(300)
class ToolCallingTest {

    /** Granite 3.x's markers are what the format is recognised by; the template's logic does not matter here. */
    static final String GRANITE_TEMPLATE = "{%- for message in messages %}{{- '<|start_of_role|>' + message['role']"
            + " + '<|end_of_role|>' + message['content'] + '<|end_of_text|>\\n' }}{%- endfor %}";

    static final String TOOLS = """
            [{"type":"function","function":{"name":"get_weather","description":"The weather in a city",
              "parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":12},
                "days":{"type":"integer","minimum":1,"maximum":7}},"required":["city","days"],"additionalProperties":false}}},
             {"type":"function","function":{"name":"get_time","parameters":{"type":"object",
               "properties":{"zone":{"enum":["UTC","CET"]}},"required":["zone"],"additionalProperties":false}}}]""";

    @TempDir
    static Path dir;

    private static LlamaBackend chatml;
    private static LlamaBackend granite;
    private static final Map<String, Schema> SCHEMAS = new HashMap<>();

    @BeforeAll
    static void load() {
        Path tiny = dir.resolve("tiny.gguf");
        GgufWriter.writeRandomLlama(tiny, Shape.tiny(GgmlType.F32), "tiny", 11);
        Path graniteFile = dir.resolve("granite.gguf");
        GgufWriter.writeRandomLlama(graniteFile, Shape.tiny(GgmlType.F32), "granite", 12, GRANITE_TEMPLATE);
        EnergyLedger ledger = LlamaBackend.processLedger();
        chatml = LlamaBackend.load(new LlamaBackend.Options(tiny, "tiny", 2, 4096, 2, false), ledger, Clock.systemUTC());
        granite = LlamaBackend.load(new LlamaBackend.Options(graniteFile, "granite", 1, 4096, 2, false), ledger,
                Clock.systemUTC());
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        Json.parseObject(("{\"t\":" + TOOLS + "}").getBytes(StandardCharsets.UTF_8)).get("t").forEach(tool -> SCHEMAS.put(
                tool.path("function").path("name").asText(), registry.getSchema(tool.path("function").path("parameters"))));
    }

    @AfterAll
    static void close() {
        chatml.close();
        granite.close();
    }

    static ChatRequest request(String messages, String extra) {
        return ChatRequest.parse(Json.parseObject(("{\"model\":\"tiny\",\"messages\":" + messages + ",\"tools\":" + TOOLS
                + extra + LlamaBackendTest.bias(true) + "}").getBytes(StandardCharsets.UTF_8)));
    }

    static final String ASK = "[{\"role\":\"user\",\"content\":\"What is the weather in Paris for 3 days?\"}]";

    /** Every call names an offered tool and its arguments parse and fit that tool's schema. */
    static List<JsonNode> callsThatFit(BackendReply reply) throws Exception {
        JsonNode choice = reply.body().path("choices").get(0);
        assertThat(choice.path("finish_reason").asText()).as(reply.body().toString()).isEqualTo("tool_calls");
        assertThat(choice.path("message").path("content").isNull()).isTrue();
        List<JsonNode> calls = new ArrayList<>();
        for (JsonNode call : choice.path("message").path("tool_calls")) {
            assertThat(call.path("id").asText()).startsWith("call_");
            assertThat(call.path("type").asText()).isEqualTo("function");
            String name = call.path("function").path("name").asText();
            assertThat(SCHEMAS).containsKey(name);
            JsonNode arguments = Json.mapper().readTree(call.path("function").path("arguments").asText());
            assertThat(SCHEMAS.get(name).validate(arguments)).as(arguments.toString()).isEmpty();
            calls.add(call);
        }
        assertThat(calls).isNotEmpty();
        return calls;
    }

    @Test
    void withToolChoiceRequiredEveryAnswerIsACallThatFitsItsSchemaInBothFormats() throws Exception {
        for (LlamaBackend backend : List.of(chatml, granite)) {
            for (int seed = 1; seed <= 4; seed++) {
                callsThatFit(backend.call(request(ASK, ",\"tool_choice\":\"required\",\"max_tokens\":400,\"seed\":" + seed)));
            }
        }
    }

    /**
     * Without the tests' ASCII bias a random model emits any byte. Bytes that are never UTF-8 are kept
     * out; what remains possible is a sequence of valid-looking bytes that is still not UTF-8 (an
     * overlong form, a surrogate), which llama.cpp's grammar reads as one character and the answer
     * holds as replacement characters, so a string can then exceed its maxLength. Every call still
     * parses, names the tool and has the schema's keys; one that does not fit the schema holds such
     * replacement characters, and nothing else is wrong with it.
     */
    @Test
    void argumentsFitTheirSchemaUnlessTheModelEmittedBytesThatAreNotUtf8() throws Exception {
        assertThat(NonUtf8Tokens.of(io.micromesh.engines.gguf.GgufFile.read(dir.resolve("tiny.gguf"))))
                .as("<0xC0> <0xC1> and <0xF5> to <0xFF> of the writer's vocabulary")
                .containsExactlyInAnyOrder(java.util.stream.IntStream.concat(java.util.stream.IntStream.of(0xC0, 0xC1),
                        java.util.stream.IntStream.rangeClosed(0xF5, 0xFF)).map(GgufWriter::byteTokenId).boxed()
                        .toArray(Integer[]::new));
        for (int seed = 1; seed <= 30; seed++) {
            ChatRequest unbiased = ChatRequest.parse(Json.parseObject(("{\"model\":\"tiny\",\"messages\":" + ASK
                    + ",\"tools\":" + TOOLS + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":"
                    + "\"get_weather\"}},\"max_tokens\":400,\"seed\":" + seed + "}").getBytes(StandardCharsets.UTF_8)));
            JsonNode call = chatml.call(unbiased).body().path("choices").get(0).path("message").path("tool_calls").get(0);
            assertThat(call.path("function").path("name").asText()).isEqualTo("get_weather");
            JsonNode arguments = Json.mapper().readTree(call.path("function").path("arguments").asText());
            assertThat(arguments.path("city").isTextual()).as(arguments.toString()).isTrue();
            assertThat(arguments.path("days").asInt()).isBetween(1, 7);
            if (!SCHEMAS.get("get_weather").validate(arguments).isEmpty()) {
                assertThat(arguments.path("city").asText()).as("only invalid UTF-8 makes a string too long").contains("\uFFFD");
            }
        }
    }

    @Test
    void aNamedToolIsTheOneCalledAndParallelCallsCanBeTurnedOff() throws Exception {
        for (int seed = 1; seed <= 3; seed++) {
            List<JsonNode> calls = callsThatFit(chatml.call(request(ASK, ",\"tool_choice\":{\"type\":\"function\","
                    + "\"function\":{\"name\":\"get_time\"}},\"max_tokens\":400,\"seed\":" + seed)));
            assertThat(calls).hasSize(1);
            assertThat(calls.getFirst().path("function").path("name").asText()).isEqualTo("get_time");
            assertThat(callsThatFit(chatml.call(request(ASK, ",\"tool_choice\":\"required\",\"parallel_tool_calls\":false,"
                    + "\"max_tokens\":400,\"seed\":" + seed)))).hasSize(1);
        }
    }

    @Test
    void withToolChoiceAutoAnAnswerIsEitherTextOrCallsThatFit() throws Exception {
        java.util.Set<String> kinds = new java.util.HashSet<>();
        for (int seed = 1; seed <= 8; seed++) {
            // '<' starts a call: favoured a little, so that the random model takes both ways over these seeds
            ObjectNode bias = LlamaBackendTest.asciiOnly(true).put(String.valueOf(GgufWriter.byteTokenId('<')), 2);
            BackendReply reply = chatml.call(ChatRequest.parse(Json.parseObject(("{\"model\":\"tiny\",\"messages\":" + ASK
                    + ",\"tools\":" + TOOLS + ",\"max_tokens\":200,\"seed\":" + seed + ",\"logit_bias\":" + bias + "}")
                    .getBytes(StandardCharsets.UTF_8))));
            JsonNode choice = reply.body().path("choices").get(0);
            if (choice.path("finish_reason").asText().equals("tool_calls")) {
                callsThatFit(reply);
            } else {
                assertThat(choice.path("message").has("tool_calls")).isFalse();
                assertThat(choice.path("message").path("content").asText()).doesNotStartWith("<");
            }
            kinds.add(choice.path("finish_reason").asText());
        }
        assertThat(kinds).as("finish reasons seen").contains("tool_calls").containsAnyOf("stop", "length");
    }

    @Test
    void streamedCallsAssembleIntoTheSameCallsAsTheWholeAnswer() throws Exception {
        for (LlamaBackend backend : List.of(chatml, granite)) {
            String extra = ",\"tool_choice\":\"required\",\"max_tokens\":400,\"seed\":7";
            List<JsonNode> whole = callsThatFit(backend.call(request(ASK, extra)));
            List<ObjectNode> chunks = new ArrayList<>();
            backend.stream(request(ASK, ",\"stream\":true" + extra), chunks::add);
            Map<Integer, String> names = new HashMap<>();
            Map<Integer, String> ids = new HashMap<>();
            Map<Integer, StringBuilder> arguments = new HashMap<>();
            String finish = null;
            for (ObjectNode chunk : chunks) {
                JsonNode choice = chunk.path("choices").get(0);
                for (JsonNode delta : choice.path("delta").path("tool_calls")) {
                    int index = delta.path("index").asInt();
                    if (delta.has("id")) {
                        assertThat(ids.put(index, delta.path("id").asText())).as("an id is sent once").isNull();
                        names.put(index, delta.path("function").path("name").asText());
                    }
                    arguments.computeIfAbsent(index, i -> new StringBuilder())
                            .append(delta.path("function").path("arguments").asText());
                }
                if (choice.hasNonNull("finish_reason")) {
                    finish = choice.path("finish_reason").asText();
                }
            }
            assertThat(chunks.getFirst().path("choices").get(0).path("delta").path("role").asText()).isEqualTo("assistant");
            assertThat(finish).isEqualTo("tool_calls");
            assertThat(names).hasSize(whole.size());
            for (int i = 0; i < whole.size(); i++) {
                assertThat(names.get(i)).isEqualTo(whole.get(i).path("function").path("name").asText());
                assertThat(arguments.get(i).toString()).isEqualTo(whole.get(i).path("function").path("arguments").asText());
            }
        }
    }

    @Test
    void aToolResultSentBackIsPartOfThePrompt() throws Exception {
        String extra = ",\"tool_choice\":\"required\",\"max_tokens\":400,\"seed\":2";
        for (LlamaBackend backend : List.of(chatml, granite)) {
            JsonNode call = callsThatFit(backend.call(request(ASK, extra))).getFirst();
            String result = "{\"forecast\":\"sunny, 21 degrees, light wind from the west\"}";
            String conversation = "[" + ASK.substring(1, ASK.length() - 1) + ",{\"role\":\"assistant\",\"content\":null,"
                    + "\"tool_calls\":[" + call + "]},{\"role\":\"tool\",\"tool_call_id\":" + Json.string(call.path("id"))
                    + ",\"content\":" + Json.string(Json.mapper().getNodeFactory().textNode(result)) + "}]";
            BackendReply before = backend.call(request(ASK, extra));
            BackendReply after = backend.call(request(conversation, ",\"max_tokens\":50,\"seed\":2"));
            // the call and its result are in the prompt: at least their bytes more (byte-level vocabulary)
            assertThat(after.tokens().prompt() - before.tokens().prompt())
                    .isGreaterThanOrEqualTo(result.length() + call.path("function").path("arguments").asText().length());
        }
    }

    @Test
    void graniteToolsAreRenderedInGranitesOwnTurns() {
        ChatRequest chat = request("[{\"role\":\"user\",\"content\":\"Weather in Oslo?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_time\",\"arguments\":\"{\\\"zone\\\":\\\"CET\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"12:00\"}]", "");
        String prompt = LlamaPrompt.text(null, chat, 262, ToolUse.of(chat.body()), ToolFormat.GRANITE);
        assertThat(prompt).startsWith("<|start_of_role|>system<|end_of_role|>" + ToolFormat.GRANITE_TOOL_SYSTEM
                + "<|end_of_text|>\n<|start_of_role|>available_tools<|end_of_role|>{\"type\":\"function\"");
        assertThat(prompt).contains("<|start_of_role|>user<|end_of_role|>Weather in Oslo?<|end_of_text|>\n"
                + "<|start_of_role|>assistant<|end_of_role|><|tool_call|>[{\"name\": \"get_time\", \"arguments\":"
                + " {\"zone\":\"CET\"}}]<|end_of_text|>\n<|start_of_role|>tool_response<|end_of_role|>12:00<|end_of_text|>\n"
                + "<|start_of_role|>assistant<|end_of_role|>");
        assertThat(prompt).endsWith("<|start_of_role|>assistant<|end_of_role|>");
    }

    @Test
    void whatALocalModelCannotDoWithToolsIsRefusedNamingTheParameter() {
        assertThatThrownBy(() -> chatml.call(request(ASK, ",\"tool_choice\":\"required\",\"response_format\":"
                + "{\"type\":\"json_object\"}"))).isInstanceOfSatisfying(MeshException.class, e -> {
                    assertThat(e.failure()).isEqualTo(MeshException.Failure.INVALID_REQUEST);
                    assertThat(e.param()).hasValue("response_format");
                });
        ChatRequest custom = ChatRequest.parse(Json.parseObject(("{\"model\":\"tiny\",\"messages\":" + ASK
                + ",\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"sql\"}}]}").getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> chatml.call(custom)).isInstanceOfSatisfying(MeshException.class,
                e -> assertThat(e.param()).hasValue("tools[0].type"));
        ChatRequest badSchema = ChatRequest.parse(Json.parseObject(("{\"model\":\"tiny\",\"messages\":" + ASK
                + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\","
                + "\"properties\":{\"a\":{\"type\":\"decimal\"}}}}}]}").getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> chatml.call(badSchema)).isInstanceOfSatisfying(MeshException.class,
                e -> assertThat(e.param().orElseThrow()).startsWith("tools[0].function.parameters"));
        // the worker is still there after each refusal
        assertThat(chatml.health().serving()).isTrue();
    }

    @Test
    void toolChoiceNoneAnswersTextWithoutTheGrammar() {
        BackendReply reply = chatml.call(request(ASK, ",\"tool_choice\":\"none\",\"max_tokens\":8,\"seed\":1"));
        JsonNode message = reply.body().path("choices").get(0).path("message");
        assertThat(message.has("tool_calls")).isFalse();
        assertThat(message.path("content").isTextual()).isTrue();
        assertThat(ToolUse.of(request(ASK, ",\"tool_choice\":\"none\"").body())).isEqualTo(Optional.empty());
    }
}
