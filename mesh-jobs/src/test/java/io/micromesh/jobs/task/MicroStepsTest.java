package io.micromesh.jobs.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.engines.onnx.EncoderBackend;
import io.micromesh.jobs.eval.Rouge;
import io.micromesh.jobs.summary.SummarizerModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The micro-model steps of call transcripts on small examples with known answers. */
@Timeout(120)
class MicroStepsTest {

    private static EncoderBackend encoder;

    /** A call whose matter is a refund, with a greeting, small talk and thanks around it. */
    private static final String REFUND_CALL = """
            Agent: Hello.
            Customer: I want a refund for the jacket I returned last week.
            Agent: The weather has been lovely in the city today.
            Customer: The refund for my returned jacket has still not arrived on my card.
            Agent: I will issue the refund for the returned jacket today.
            Customer: Thanks.""";

    @TempDir
    Path dir;

    @BeforeAll
    static void loadEncoder() {
        encoder = EncoderBackend.load("minilm");
    }

    @AfterAll
    static void closeEncoder() {
        encoder.close();
    }

    /** Runs one step of the given kind and settings on a transcript. */
    private Step.Result run(String kind, String settings, String transcript) throws Exception {
        BatchTask task = BatchTask.load(Files.writeString(dir.resolve("t.yaml"),
                "name: t\nfields: [transcript]\nmodel: never\nsteps:\n  - step: " + kind + "\n    as: out\n"
                        + "    text: \"{{transcript}}\"\n" + settings));
        return task.prepare(new Steps.Resources(() -> encoder)).start("x", Json.object().put("transcript", transcript))
                .stepResults().get("out");
    }

    @Test
    void entitiesAreFoundAndValidated() throws Exception {
        JsonNode found = run("entities", "", "I paid $1,250.50 on 2026-11-03 and 20 euros on March 3rd, 2025; my order number is"
                + " AB-12345, account 99881, customer service said 2026-02-30 and 4/31/2026.").value();
        assertThat(found.path("amounts")).hasSize(2);
        assertThat(found.path("amounts").path(0).path("value").decimalValue()).isEqualByComparingTo("1250.50");
        assertThat(found.path("amounts").path(0).path("currency").asText()).isEqualTo("USD");
        assertThat(found.path("amounts").path(1).path("value").decimalValue()).isEqualByComparingTo("20");
        assertThat(found.path("amounts").path(1).path("currency").asText()).isEqualTo("EUR");
        assertThat(found.path("dates").findValuesAsText("date")).containsExactly("2026-11-03", "2025-03-03");
        assertThat(found.path("references").findValuesAsText("value")).containsExactly("AB-12345", "99881");
        assertThat(found.path("references").findValuesAsText("kind")).containsExactly("order", "account");
        JsonNode dayFirst = run("entities", "    day-first: true\n", "due 04/11/2026, 150 GBP").value();
        assertThat(dayFirst.path("dates").findValuesAsText("date")).containsExactly("2026-11-04");
        assertThat(dayFirst.path("amounts").path(0).path("currency").asText()).isEqualTo("GBP");
    }

    @Test
    void theCustomersFirstAndLastTurnsAreFoundByLabelElseByOrder() throws Exception {
        Step.Result labelled = run("speaker-turns", "", """
                Agent: Hello, how can I help?
                Customer: I am furious, my order is late.
                Agent: Sorry, I have sent a new one.
                Customer: Thanks, that fixed it.""");
        assertThat(labelled.value().path("speaker").asText()).isEqualTo("Customer");
        assertThat(labelled.value().path("first").asText()).isEqualTo("I am furious, my order is late.");
        assertThat(labelled.value().path("last").asText()).isEqualTo("Thanks, that fixed it.");
        assertThat(labelled.confidence()).isEqualTo(1.0);
        Step.Result guessed = run("speaker-turns", "", "#Person1#: Hi, what can I do?\n#Person2#: My bill is wrong.\n#Person1#: Let me see.");
        assertThat(guessed.value().path("speaker").asText()).isEqualTo("#Person2#");
        assertThat(guessed.value().path("last").asText()).isEqualTo("My bill is wrong.");
        assertThat(guessed.confidence()).isEqualTo(0.5);
        Step.Result unknown = run("speaker-turns", "", "Hello, how can I help.\nMy order is late.");
        assertThat(unknown.value().path("speaker").isNull()).isTrue();
        assertThat(unknown.value().path("first").isNull()).as("unknown, not an empty answer").isTrue();
        assertThat(unknown.value().path("unknown").asText()).contains("no speaker labels");
        assertThat(unknown.confidence()).isZero();
    }

    @Test
    void theCentroidSummaryTakesCentralSentencesInTheirOrder() throws Exception {
        String transcript = REFUND_CALL;
        Step.Result two = run("extract-summary", "    scorer: centroid\n    max-sentences: 2\n", transcript);
        String summary = two.value().asText();
        assertThat(summary).doesNotContain("weather").doesNotContain("Hello").doesNotContain("Thanks");
        assertThat(summary.split("(?<=\\.) ")).hasSize(2);
        // in the transcript's order, with their speaker labels
        assertThat(transcript.indexOf(summary.split("(?<=\\.) ")[0])).isLessThan(transcript.indexOf(summary.split("(?<=\\.) ")[1]));
        assertThat(summary).startsWith(summary.startsWith("Agent:") ? "Agent:" : "Customer:");
        assertThat(two.confidence()).isBetween(0.3, 1.0);
        String bounded = run("extract-summary", "    scorer: centroid\n    max-sentences: 3\n    max-words: 14\n    keep-speakers: false\n", transcript)
                .value().asText();
        assertThat(bounded.split("\\s+").length).as(bounded).isLessThanOrEqualTo(14);
        assertThat(bounded).doesNotContain(":");
    }

    @Test
    void theTrainedSummaryTakesSentencesInTheirOrderInReportedSpeech() throws Exception {
        String transcript = REFUND_CALL;
        Step.Result result = run("extract-summary", "", transcript);
        String summary = result.value().asText();
        SummarizerModel model = SummarizerModel.builtIn();
        assertThat(Rouge.tokens(summary).size()).as(summary).isLessThanOrEqualTo(model.labelled().maxWords());
        assertThat(summary).as("reported speech: no first person left").doesNotContainPattern("\\b(I|my)\\b")
                .doesNotContain("Hello").doesNotContain("Thanks").contains("Customer").contains("refund");
        // the chosen sentences in the transcript's order
        List<String> order = List.of("jacket Customer returned", "still not arrived", "Agent will issue");
        List<Integer> at = order.stream().map(summary::indexOf).filter(i -> i >= 0).toList();
        assertThat(at).as(summary).isNotEmpty().isSorted();
        assertThat(result.confidence()).isBetween(0.0, 1.0);

        String one = run("extract-summary", "    max-sentences: 1\n", transcript).value().asText();
        assertThat(one.split("(?<=[.?!]) ")).as(one).hasSize(1);

        // a mono call's transcript: no speakers to name, so the first person stays, within the other scorer's budget
        String mono = run("extract-summary", "", transcript.replaceAll("(?m)^(Agent|Customer): ", "")).value().asText();
        assertThat(mono).as(mono).doesNotContain("Customer").doesNotContain("Agent").contains("refund");
        assertThat(Rouge.tokens(mono).size()).as(mono).isLessThanOrEqualTo(model.unlabelled().maxWords());
    }

    @Test
    void aScorerFileIsCheckedWhenTheTaskIsLoaded() throws Exception {
        Path notAModel = Files.writeString(dir.resolve("model.json"), "{\"kind\": \"something-else\"}");
        assertThatThrownBy(() -> run("extract-summary", "    scorer: " + notAModel + "\n", "Agent: Hello."))
                .hasMessageContaining("is not a summarizer model");
        Path trained = dir.resolve("copy.json");
        SummarizerModel.builtIn().write(trained);
        assertThat(run("extract-summary", "    scorer: " + trained + "\n    max-sentences: 1\n",
                "Customer: My parcel is late. It was due on Monday.").value().asText()).isNotBlank();
    }
}
