package io.micromesh.jobs.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.engines.onnx.EncoderBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class BatchTaskTest {

    private static EncoderBackend encoder;
    private static Steps.Resources resources;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadEncoder() {
        encoder = EncoderBackend.load("minilm");
        resources = new Steps.Resources(() -> encoder);
    }

    @AfterAll
    static void closeEncoder() {
        encoder.close();
    }

    private static final String CLASSIFY = """
            steps:
              - step: classify
                as: topic
                text: "{{message}}"
                labels:
                  billing: ["I was charged twice for my subscription", "please refund the last invoice", "my card was billed the wrong amount"]
                  shipping: ["where is my package", "my order has not arrived yet", "the parcel was delivered to the wrong address"]
                k: 3
                min-confidence: %s
            """;

    private BatchTask task(String yaml) throws Exception {
        return BatchTask.load(Files.writeString(dir.resolve("task.yaml"), yaml));
    }

    private static JsonNode record(String id, String message) {
        return Json.object().put("id", id).put("message", message);
    }

    @Test
    void anUnknownStepOrSettingOrFieldIsRefusedWhenTheTaskLoads() {
        assertThatThrownBy(() -> task("name: t\nfields: [message]\nmodel: never\nsteps:\n  - step: sentiment-magic\n"))
                .hasMessageContaining("unknown step 'sentiment-magic'").hasMessageContaining("[classify, entities, extract-summary, redact-pii, speaker-turns]");
        assertThatThrownBy(() -> task("name: t\nfields: [message]\nmodel: never\n" + CLASSIFY.formatted("0.5")
                .replace("k: 3", "kay: 3")))
                .hasMessageContaining("step topic (classify)").hasMessageContaining("kay");
        assertThatThrownBy(() -> task("name: t\nfields: [body]\nmodel: never\n" + CLASSIFY.formatted("0.5")))
                .hasMessageContaining("step topic uses field 'message'");
        assertThatThrownBy(() -> task("name: t\nfields: [message]\nmodel: never\n" + CLASSIFY.formatted("0.5")
                .replace("shipping:", "#")))
                .hasMessageContaining("at least two labels");
        assertThatThrownBy(() -> task("name: t\nfields: [message]\nroute: r\nprompt: \"{{message}} {{mood}}\"\n"
                + CLASSIFY.formatted("0.5")))
                .hasMessageContaining("the prompt uses field 'mood'").hasMessageContaining("[message, topic]");
        assertThatThrownBy(() -> task("name: t\nfields: [message]\nroute: r\nprompt: hi\nmodel: when-bored\n"))
                .hasMessageContaining("model must be always, if-unsure, if-available or never");
        assertThatThrownBy(() -> task("name: t\nfields: [message]\nroute: r\nprompt: hi\nmodel: if-unsure\n"))
                .hasMessageContaining("if-unsure needs steps");
    }

    @Test
    void theClassifierPicksTheLabelOfTheNearestExamplesAndAnswersWithoutTheModel() throws Exception {
        BatchTask.Prepared task = task("name: t\nfields: [message]\nmodel: never\n" + CLASSIFY.formatted("0.5")).prepare(resources);
        BatchTask.Work billing = task.start("a", record("a", "I have been charged two times this month, refund me"));
        BatchTask.Work shipping = task.start("b", record("b", "my package still has not arrived"));
        assertThat(billing.stepResults().get("topic").value().asText()).isEqualTo("billing");
        assertThat(shipping.stepResults().get("topic").value().asText()).isEqualTo("shipping");
        assertThat(billing.request()).as("model: never").isNull();
        JsonNode line = task("name: t\nfields: [message]\nmodel: never\n" + CLASSIFY.formatted("0.5")).output(billing, null);
        assertThat(line.path("output").path("topic").asText()).isEqualTo("billing");
        assertThat(line.path("provenance").path("topic").path("by").asText()).isEqualTo("step:classify");
        assertThat(line.path("provenance").path("topic").path("confidence").asDouble()).isBetween(0.5, 1.0);
        assertThat(line.path("model").isNull()).isTrue();
        assertThat(line.path("error").isNull()).isTrue();
    }

    @Test
    void ifUnsureAsksTheModelOnlyWhenTheStepIsBelowItsConfidence() throws Exception {
        BatchTask probe = task("name: t\nfields: [message]\nmodel: never\n" + CLASSIFY.formatted("0.5"));
        BatchTask.Prepared probing = probe.prepare(resources);
        String clear = "my card was billed the wrong amount twice, I want a refund";
        String vague = "hello, I am calling about my account";
        double sure = probing.start("a", record("a", clear)).stepResults().get("topic").confidence();
        double unsure = probing.start("b", record("b", vague)).stepResults().get("topic").confidence();
        assertThat(sure).as("a clear billing text is classified with more confidence than a vague one").isGreaterThan(unsure);
        String threshold = String.valueOf((sure + unsure) / 2);

        BatchTask task = task("name: t\nfields: [message]\nroute: small\nmodel: if-unsure\n"
                + "prompt: \"Topic of: {{message}} (the classifier guessed {{topic}})\"\n"
                + "output-schema: {type: object, properties: {topic: {type: string}}, required: [topic]}\n"
                + CLASSIFY.formatted(threshold));
        BatchTask.Prepared prepared = task.prepare(resources);
        BatchTask.Work confident = prepared.start("a", record("a", clear));
        BatchTask.Work doubtful = prepared.start("b", record("b", vague));
        assertThat(confident.request()).as("sure: the step answers instead of the model").isNull();
        assertThat(doubtful.request()).isNotNull();
        String guessed = doubtful.stepResults().get("topic").value().asText();
        assertThat(doubtful.request().path("messages").path(0).path("content").asText())
                .isEqualTo("Topic of: " + vague + " (the classifier guessed " + guessed + ")");

        JsonNode answer = Json.mapper().readTree("""
                {"model": "small", "choices": [{"message": {"content": "{\\"topic\\": \\"account\\"}"}}],
                 "usage": {"prompt_tokens": 12, "completion_tokens": 5}}""");
        JsonNode line = task.output(doubtful, answer);
        assertThat(line.path("output").path("topic").asText()).as("the model's value replaces the unsure step's").isEqualTo("account");
        assertThat(line.path("provenance").path("topic").path("by").asText()).isEqualTo("model:small");
        assertThat(line.path("model").asText()).isEqualTo("small");
        assertThat(line.path("usage").path("prompt_tokens").asInt()).isEqualTo(12);
    }

    @Test
    void anAnswerThatIsNotTheAskedJsonIsAnErrorThatSaysWhetherTheLimitCutIt() throws Exception {
        BatchTask task = task("name: t\nfields: [message]\nroute: small\nprompt: \"{{message}}\"\nmax-tokens: 64\n"
                + "output-schema: {type: object, properties: {topic: {type: string}}, required: [topic]}\n");
        BatchTask.Work work = task.prepare(resources).start("a", record("a", "hello"));
        JsonNode cut = Json.mapper().readTree("""
                {"model": "small", "choices": [{"message": {"content": "{\\"topic\\": \\"bil"}, "finish_reason": "length"}]}""");
        assertThat(task.output(work, cut).path("error").path("message").asText())
                .isEqualTo("the answer is not JSON: it was cut at the token limit (max-tokens 64)");
        JsonNode prose = Json.mapper().readTree("""
                {"model": "small", "choices": [{"message": {"content": "The topic is billing."}, "finish_reason": "stop"}]}""");
        JsonNode line = task.output(work, prose);
        assertThat(line.path("error").path("code").asText()).isEqualTo("invalid_output");
        assertThat(line.path("error").path("message").asText()).startsWith("the answer is not JSON (").endsWith("): The topic is billing.");
    }

    @Test
    void aRedactionStepFeedsTheStepsAfterIt() throws Exception {
        BatchTask task = task("""
                name: t
                fields: [message]
                model: never
                steps:
                  - step: redact-pii
                    text: "{{message}}"
                    region: GB
                  - step: classify
                    as: topic
                    text: "{{redact_pii}}"
                    labels:
                      billing: ["I was charged twice", "refund my card"]
                      shipping: ["where is my parcel", "the delivery is late"]
                """);
        BatchTask.Work work = task.prepare(resources).start("a",
                record("a", "charge on card 4111 1111 1111 1111 twice, call me on 020 7031 3000"));
        assertThat(work.stepResults().get("redact_pii").value().asText())
                .isEqualTo("charge on card [CARD] twice, call me on [PHONE]");
        assertThat(work.stepResults().get("topic").value().asText()).isEqualTo("billing");
        JsonNode line = task.output(work, null);
        assertThat(line.path("provenance").path("redact_pii").path("by").asText()).isEqualTo("step:redact-pii");
        assertThatThrownBy(() -> task("name: t\nfields: [m]\nmodel: never\nsteps:\n  - step: redact-pii\n    text: \"{{m}}\"\n"
                + "    kinds: [card, ssn]\n")).hasMessageContaining("unknown kind 'ssn'");
    }

    @Test
    void severalNamedTextsAreLabelledAlikeAsSureAsTheLeastSure() throws Exception {
        String yaml = "name: t\nfields: [first, last]\nmodel: never\n" + CLASSIFY.formatted("0.5")
                .replace("text: \"{{message}}\"", "texts: { start: \"{{first}}\", end: \"{{last}}\" }");
        BatchTask.Prepared task = task(yaml).prepare(resources);
        BatchTask.Work work = task.start("a", Json.object().put("id", "a").put("first", "you billed my card twice")
                .put("last", "and my parcel never arrived"));
        Step.Result topic = work.stepResults().get("topic");
        assertThat(topic.value().path("start").asText()).isEqualTo("billing");
        assertThat(topic.value().path("end").asText()).isEqualTo("shipping");
        double start = task.start("b", Json.object().put("id", "b").put("first", "you billed my card twice")
                .put("last", "you billed my card twice")).stepResults().get("topic").confidence();
        double end = task.start("c", Json.object().put("id", "c").put("first", "and my parcel never arrived")
                .put("last", "and my parcel never arrived")).stepResults().get("topic").confidence();
        assertThat(topic.confidence()).isEqualTo(Math.min(start, end));
        assertThatThrownBy(() -> task(yaml.replace("    k: 3", "    text: \"{{first}}\"\n    k: 3")))
                .hasMessageContaining("give text").hasMessageContaining("not both");
    }

    @Test
    void aRecordWithoutADeclaredFieldIsRefused() throws Exception {
        BatchTask.Prepared task = task("name: t\nfields: [message]\nmodel: never\n" + CLASSIFY.formatted("0.5")).prepare(resources);
        assertThatThrownBy(() -> task.start("x", Json.object().put("id", "x")))
                .hasMessageContaining("no field 'message'");
    }
}
