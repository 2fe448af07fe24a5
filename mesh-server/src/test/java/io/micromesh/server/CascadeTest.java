package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.core.outcomes.OutcomeStore;
import io.micromesh.testkit.StandInServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cascades through the real HTTP API over stand-in backends whose answers the test sets: a cheap
 * model (which may answer badly, refuse, or disagree with itself), a strong one, and a judge.
 */
class CascadeTest {

    private StandInServer cheap;
    private StandInServer strong;
    private StandInServer judge;
    private TestGateway mesh;

    @BeforeEach
    void start(@TempDir Path state) {
        cheap = StandInServer.start("cheap").reply("Paris is the capital of France.");
        strong = StandInServer.start("strong").reply("{\"answer\": 42}");
        judge = StandInServer.start("judge").reply("9");
        mesh = new TestGateway("""
                models:
                  - id: cheap
                    engine: openai
                    endpoints: ["%s"]
                    price: { input-per-mtok: 0.1, output-per-mtok: 0.1 }
                    capabilities: [chat, json]
                  - id: strong
                    engine: openai
                    endpoints: ["%s"]
                    price: { input-per-mtok: 10, output-per-mtok: 30 }
                    capabilities: [chat, json]
                  - id: judge
                    engine: openai
                    endpoints: ["%s"]
                routes:
                  - name: checked
                    policy: cascade
                    candidates: [cheap, strong]
                  - name: consistent
                    policy: cascade
                    candidates: [cheap, strong]
                    verify: { self-consistency: { agreement: 0.6 } }
                  - name: confident
                    policy: cascade
                    candidates: [cheap, strong]
                    verify: { min-mean-logprob: -1.0 }
                  - name: judged
                    policy: cascade
                    candidates: [cheap, strong]
                    verify: { judge: { model: judge, threshold: 0.7 } }
                """.formatted(cheap.baseUrl(), strong.baseUrl(), judge.baseUrl()), state);
    }

    @AfterEach
    void stop() {
        mesh.close();
        for (StandInServer s : List.of(cheap, strong, judge)) {
            s.close();
        }
    }

    private HttpResponse<String> ask(String route, String extra) {
        return mesh.post("/v1/chat/completions", """
                {"model": "%s", "messages": [{"role": "user", "content": "What is the capital of France?"}]%s}
                """.formatted(route, extra));
    }

    private static String content(HttpResponse<String> response) {
        return TestGateway.json(response).path("choices").path(0).path("message").path("content").asText();
    }

    @Test
    void aGoodAnswerFromTheCheapModelIsGivenWithoutEscalating() {
        HttpResponse<String> response = ask("checked", "");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(content(response)).isEqualTo("Paris is the capital of France.");
        assertThat(response.headers().firstValue("x-mesh-model")).contains("cheap");
        assertThat(response.headers().firstValue("x-mesh-cascade").orElseThrow()).startsWith("passed: cheap passed");
        assertThat(strong.generationRequests()).isZero();
        assertThat(TestGateway.json(response).path("id").asText()).startsWith("chatcmpl-").hasSizeGreaterThan(20);
    }

    @Test
    void invalidJsonEscalatesToTheNextModel() {
        HttpResponse<String> response = ask("checked", ", \"response_format\": {\"type\": \"json_object\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(content(response)).isEqualTo("{\"answer\": 42}");
        assertThat(response.headers().firstValue("x-mesh-cascade").orElseThrow())
                .contains("cheap json-schema: the answer is not JSON").contains("strong passed");
        assertThat(cheap.generationRequests()).isEqualTo(1);
        // the client pays for both calls: more than the strong model's tokens alone would cost
        JsonNode usage = TestGateway.json(response).path("usage");
        double strongOnly = (usage.path("prompt_tokens").asLong() * 10 + usage.path("completion_tokens").asLong() * 30) / 1e6;
        assertThat(usage.path("cost_usd").asDouble()).isGreaterThan(strongOnly);
    }

    @Test
    void anAnswerThatBreaksTheSchemaEscalates() {
        cheap.reply("{\"answer\": \"forty-two\"}");
        String schema = """
                , "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema":
                  {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}}}""";
        HttpResponse<String> response = ask("checked", schema);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-mesh-model")).contains("strong");
        assertThat(response.headers().firstValue("x-mesh-cascade").orElseThrow())
                .contains("cheap json-schema: the answer does not match the schema");
    }

    @Test
    void aRefusalEscalatesAndTheVerdictsAreStored() {
        cheap.reply("I'm sorry, but I can't help with that.");
        strong.reply("Paris.");
        HttpResponse<String> response = ask("checked", "");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(content(response)).isEqualTo("Paris.");
        assertThat(response.headers().firstValue("x-mesh-cascade").orElseThrow()).contains("cheap refusal");
        assertThat(mesh.get("/metrics").body())
                .contains("mesh_cascade_verdicts_total{model=\"cheap\",result=\"refusal\",route=\"checked\"} 1.0")
                .contains("mesh_cascade_verdicts_total{model=\"strong\",result=\"passed\",route=\"checked\"} 1.0");
        List<OutcomeStore.Outcome> stored = mesh.store.orElseThrow().outcomes(Set.of("cheap", "strong"));
        assertThat(stored).containsExactly(
                new OutcomeStore.Outcome("cheap", "What is the capital of France?", 0.0),
                new OutcomeStore.Outcome("strong", "What is the capital of France?", 1.0));
    }

    @Test
    void aModelThatDisagreesWithItselfEscalates() {
        cheap.replies("The answer is twelve apples.", "Probably seven pears, I think.");
        strong.reply("Twelve apples.");
        HttpResponse<String> response = ask("consistent", "");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(content(response)).isEqualTo("Twelve apples.");
        assertThat(response.headers().firstValue("x-mesh-cascade").orElseThrow()).contains("cheap self-consistency");
        assertThat(cheap.generationRequests()).as("the answer and a second sample").isEqualTo(2);
        assertThat(cheap.recorded().get(1).body().path("temperature").asDouble()).isEqualTo(0.7);
    }

    @Test
    void aModelThatAgreesWithItselfPasses() {
        cheap.replies("The answer is twelve apples.", "The answer is twelve apples!");
        HttpResponse<String> response = ask("consistent", "");
        assertThat(response.headers().firstValue("x-mesh-model")).contains("cheap");
        assertThat(strong.generationRequests()).isZero();
    }

    @Test
    void aLogprobCheckAsksForThemAndFailsWhenTheBackendGivesNone() {
        HttpResponse<String> response = ask("confident", "");
        assertThat(cheap.recorded().getFirst().body().path("logprobs").asBoolean()).isTrue();
        assertThat(response.headers().firstValue("x-mesh-cascade").orElseThrow())
                .contains("cheap min-mean-logprob: the backend returned no log-probabilities");
        assertThat(TestGateway.json(response).path("choices").path(0).has("logprobs"))
                .as("not asked for by the client, not given").isFalse();
    }

    @Test
    void theJudgeDecides() {
        judge.reply("3");
        HttpResponse<String> low = ask("judged", "");
        assertThat(low.headers().firstValue("x-mesh-cascade").orElseThrow()).contains("cheap judge: judge scored 0.3");
        assertThat(low.headers().firstValue("x-mesh-model")).contains("strong");
        assertThat(judge.recorded().getFirst().body().path("messages").path(0).path("content").asText())
                .contains("What is the capital of France?").contains("Paris is the capital of France.");
        judge.reply("Score: 8");
        HttpResponse<String> high = ask("judged", "");
        assertThat(high.headers().firstValue("x-mesh-model")).contains("cheap");
    }

    @Test
    void whenNoAnswerPassesTheLastOneIsGivenAndSaysSo() {
        cheap.reply("");
        strong.reply("I am unable to help with that request.");
        HttpResponse<String> response = ask("checked", "");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-mesh-cascade").orElseThrow())
                .startsWith("none passed; the last answer: cheap non-empty: the answer has no text; strong refusal");
    }

    @Test
    void aStreamingClientGetsOnlyTheVerifiedAnswer() throws Exception {
        cheap.reply("I'm sorry, but I cannot answer.");
        strong.reply("Paris, of course.");
        HttpResponse<java.io.InputStream> response = mesh.postStreaming("/v1/chat/completions", """
                {"model": "checked", "stream": true, "stream_options": {"include_usage": true},
                 "messages": [{"role": "user", "content": "What is the capital of France?"}]}""");
        List<String> data;
        try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(response.body()))) {
            data = reader.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        }
        assertThat(data.getLast()).isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        for (String event : data.subList(0, data.size() - 1)) {
            JsonNode chunk = io.micromesh.api.Json.mapper().readTree(event);
            assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.path("model").asText()).isEqualTo("strong");
            text.append(chunk.path("choices").path(0).path("delta").path("content").asText(""));
        }
        assertThat(text.toString()).isEqualTo("Paris, of course.");
        JsonNode usageChunk = io.micromesh.api.Json.mapper().readTree(data.get(data.size() - 2));
        assertThat(usageChunk.path("usage").path("cost_usd").asDouble()).isPositive();
        assertThat(cheap.recorded().getFirst().body().path("stream").asBoolean()).as("candidates are asked whole").isFalse();
    }

    /** A small model's malformed tool call escalates; a well-formed one is kept. */
    @Test
    void aToolCallWhoseArgumentsDoNotFitTheSchemaEscalates(@TempDir Path state) {
        String tools = ", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\":"
                + " {\"type\": \"object\", \"properties\": {\"days\": {\"type\": \"integer\", \"maximum\": 7}},"
                + " \"required\": [\"days\"]}}}]";
        for (String[] smallCall : List.of(new String[] {"{\"days\": 30}", "strong"}, new String[] {"{\"day\"", "strong"},
                new String[] {"{\"days\": 3}", "small"})) {
            try (StandInServer small = StandInServer.start("small").callsTool("get_weather", smallCall[0]);
                 StandInServer big = StandInServer.start("big").callsTool("get_weather", "{\"days\": 2}");
                 TestGateway tools4 = new TestGateway("""
                         models:
                           - { id: small, engine: openai, endpoints: ["%s"], capabilities: [chat, tools] }
                           - { id: strong, engine: openai, endpoints: ["%s"], capabilities: [chat, tools] }
                         routes:
                           - { name: agent, policy: cascade, candidates: [small, strong] }
                         """.formatted(small.baseUrl(), big.baseUrl()), state.resolve(smallCall[1] + smallCall[0].length()))) {
                HttpResponse<String> answer = tools4.post("/v1/chat/completions", """
                        {"model": "agent", "messages": [{"role": "user", "content": "weather?"}]%s}
                        """.formatted(tools));
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(TestGateway.json(answer).path("model").asText()).as(smallCall[0]).isEqualTo(smallCall[1]);
            }
        }
    }
}
