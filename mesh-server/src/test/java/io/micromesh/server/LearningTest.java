package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.testkit.StandInServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cost-quality route learning from feedback: the in-process encoder embeds prompts; seed outcomes
 * say the cheap model does as well as the strong one on small talk; feedback that the cheap model
 * failed a legal question sends that question, and ones like it, to the strong model — also after
 * a restart, since outcomes are stored.
 */
class LearningTest {

    private static final String LEGAL = "Can my landlord keep the whole deposit if I leave the lease three months early?";

    @TempDir
    Path dir;
    private StandInServer cheap;
    private StandInServer strong;

    @BeforeEach
    void start() {
        cheap = StandInServer.start("cheap").reply("cheap answer");
        strong = StandInServer.start("strong").reply("strong answer");
    }

    @AfterEach
    void stop() {
        cheap.close();
        strong.close();
    }

    private TestGateway gateway() throws Exception {
        return gateway("");
    }

    private TestGateway gateway(String routeKeys) throws Exception {
        Path seeds = dir.resolve("seeds.csv");
        Files.writeString(seeds, """
                prompt,cheap,strong
                hello there,True,True
                how are you today,True,True
                thanks a lot for your help,True,True
                what time do you open on saturday,True,True
                good morning,True,True
                tell me a joke about cats,True,True
                """);
        return new TestGateway("""
                models:
                  - id: cheap
                    engine: openai
                    endpoints: ["%s"]
                  - id: strong
                    engine: openai
                    endpoints: ["%s"]
                  - id: minilm
                    engine: onnx
                routes:
                  - name: auto
                    policy: cost-quality
                    candidates: [cheap, strong]
                    tolerance: 0.15
                    outcome-files: ["%s"]
                """.formatted(cheap.baseUrl(), strong.baseUrl(), seeds) + routeKeys, dir.resolve("state"));
    }

    private static String ask(String text) {
        return """
                {"model": "auto", "messages": [{"role": "user", "content": "%s"}]}""".formatted(text);
    }

    private static String decided(TestGateway mesh, String text) {
        HttpResponse<String> response = mesh.post("/v1/route", ask(text));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return TestGateway.json(response).path("model").asText();
    }

    @Test
    void feedbackChangesTheNextDecisionAndSurvivesARestart() throws Exception {
        String id;
        try (TestGateway mesh = gateway()) {
            HttpResponse<String> first = mesh.post("/v1/chat/completions", ask(LEGAL));
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            assertThat(first.headers().firstValue("x-mesh-model")).as("nothing says cheap fails yet").contains("cheap");
            id = TestGateway.json(first).path("id").asText();

            HttpResponse<String> feedback = mesh.post("/v1/feedback", "{\"id\": \"" + id + "\", \"score\": 0}");
            assertThat(feedback.statusCode()).as(feedback.body()).isEqualTo(200);
            assertThat(TestGateway.json(feedback).path("model").asText()).isEqualTo("cheap");

            assertThat(decided(mesh, LEGAL)).isEqualTo("strong");
            assertThat(decided(mesh, "Is my landlord allowed to keep my deposit when I end the lease early?"))
                    .as("a question like it").isEqualTo("strong");
            assertThat(decided(mesh, "good evening, how are you?")).as("small talk stays cheap").isEqualTo("cheap");
        }
        try (TestGateway restarted = gateway()) {
            assertThat(decided(restarted, LEGAL)).as("after a restart").isEqualTo("strong");
            JsonNode candidates = TestGateway.json(restarted.post("/v1/route", ask(LEGAL))).path("candidates");
            assertThat(candidates.path(0).path("score").asDouble()).isLessThan(candidates.path(1).path("score").asDouble() - 0.15);
            // feedback may be given again, on the id from before the restart: it replaces the score
            HttpResponse<String> again = restarted.post("/v1/feedback", "{\"id\": \"" + id + "\", \"score\": 1}");
            assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
            assertThat(restarted.store.orElseThrow().outcomes(List.of("cheap"))).hasSize(1);
        }
    }

    @Test
    void aRoutesTaskRulesNameTheTaskOfARequestWithoutOneAndItsOutcomeIsStoredUnderIt() throws Exception {
        try (TestGateway mesh = gateway("""
                    tasks:
                      - { name: arithmetic, prompt-matches: '\\d+\\s*[-+*/x]\\s*\\d+' }
                      - { name: chat, prompt-tokens-under: 1000 }
                """)) {
            JsonNode sum = TestGateway.json(mesh.post("/v1/route", ask("what is 17 * 23")));
            assertThat(sum.path("task").asText()).isEqualTo("arithmetic");
            assertThat(sum.path("reason").asText()).startsWith("task arithmetic (tasks rule 1); predicted success");
            assertThat(TestGateway.json(mesh.post("/v1/route", ask("good morning"))).path("task").asText())
                    .as("the first rule that holds").isEqualTo("chat");
            JsonNode named = TestGateway.json(mesh.post("/v1/route", ask("what is 17 * 23"), "x-mesh-task", "homework"));
            assertThat(named.path("task").asText()).as("the header wins").isEqualTo("homework");
            assertThat(named.path("reason").asText()).doesNotContain("tasks rule");

            HttpResponse<String> answered = mesh.post("/v1/chat/completions", ask("what is 12 + 30"));
            assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
            String id = TestGateway.json(answered).path("id").asText();
            assertThat(mesh.post("/v1/feedback", "{\"id\": \"" + id + "\", \"score\": 0}").statusCode()).isEqualTo(200);
            assertThat(mesh.store.orElseThrow().outcomes(List.of("cheap")))
                    .singleElement().satisfies(o -> assertThat(o.task()).isEqualTo("arithmetic"));
        }
    }

    @Test
    void feedbackOnAnUnknownIdIs404AndBadFeedbackIs400() throws Exception {
        try (TestGateway mesh = gateway()) {
            HttpResponse<String> unknown = mesh.post("/v1/feedback", "{\"id\": \"chatcmpl-nope\", \"score\": 0.5}");
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(TestGateway.json(unknown).path("error").path("code").asText()).isEqualTo("completion_not_found");
            assertThat(mesh.post("/v1/feedback", "{\"id\": \"x\", \"score\": 1.5}").statusCode()).isEqualTo(400);
            assertThat(mesh.post("/v1/feedback", "{\"score\": 1}").statusCode()).isEqualTo(400);
            assertThat(mesh.post("/v1/feedback", "{\"id\": \"x\", \"score\": \"good\"}").statusCode()).isEqualTo(400);
            assertThat(mesh.post("/v1/feedback", "{\"id\": \"x\", \"score\": 1, \"note\": 2}").statusCode()).isEqualTo(400);
            assertThat(mesh.post("/v1/feedback", "not json").statusCode()).isEqualTo(400);
        }
    }
}
