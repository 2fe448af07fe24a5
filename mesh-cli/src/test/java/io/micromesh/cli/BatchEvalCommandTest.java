package io.micromesh.cli;

import static io.micromesh.cli.MeshCli.mesh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class BatchEvalCommandTest {

    @TempDir
    Path dir;

    private static JsonNode lastLine(String out) throws Exception {
        List<String> lines = out.strip().lines().toList();
        return Json.mapper().readTree(lines.getLast());
    }

    @Test
    void scoresComputedByHandInTheDialogSumLayout() throws Exception {
        Path output = Files.writeString(dir.resolve("out.jsonl"), """
                {"id": "a", "output": {"summary": "the parcel is late", "topic": "parcel delivery"}, "error": null}
                {"id": "b", "output": null, "error": {"code": "http_500", "message": "failed"}}
                {"id": "c", "output": {"summary": "hello", "topic": "weather"}, "error": null}
                """);
        Path reference = Files.writeString(dir.resolve("ref.jsonl"), """
                {"fname": "a", "dialogue": "#Person1#: Where is my parcel? It was due Monday.\\n#Person2#: It is late.\\n#Person1#: Oh no.", "summary": "the parcel arrived late", "topic": "late delivery of a parcel"}
                {"fname": "b", "dialogue": "Agent: Hello.\\nCustomer: Hi.", "summary": "a greeting", "topic": "greeting"}
                {"fname": "c", "dialogue": "Customer: Hello there.", "summary": "they greet", "topic": "greeting"}
                """);
        MeshCli.Run run = mesh("batch", "eval", output.toString(), "--reference", reference.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode figures = lastLine(run.out());
        // a: ROUGE-1 3/4 both ways (F1 0.75), ROUGE-2 1 of 3 bigrams (0.3333), LCS "the parcel late" (0.75);
        // b: no summary, 0; c: no overlap, 0 — means over the three references
        assertThat(figures.path("items").asInt()).isEqualTo(3);
        assertThat(figures.path("missing_summaries").asInt()).isEqualTo(1);
        assertThat(figures.path("rouge1").asDouble()).isCloseTo(0.25, within(1e-4));
        assertThat(figures.path("rouge2").asDouble()).isCloseTo(1.0 / 9, within(1e-4));
        assertThat(figures.path("rougeL").asDouble()).isCloseTo(0.25, within(1e-4));
        // lead-3 of a: "#Person1#: Where is my parcel? It was due Monday. #Person2#: It is late." — 13 tokens,
        // LCS with the reference "parcel late" (2): P 2/13, R 2/4, F1 0.2353; b and c share nothing
        assertThat(figures.path("lead3_rougeL").asDouble()).isCloseTo(0.2353 / 3, within(1e-4));
        // topics: "parcel delivery" matches "late delivery of a parcel", "weather" does not match "greeting"
        assertThat(figures.path("topic_items").asInt()).isEqualTo(2);
        assertThat(figures.path("topic_accuracy").asDouble()).isEqualTo(0.5);
        assertThat(run.out()).contains("lead-3 baseline").contains("ROUGE-L");
    }

    @Test
    void badInputIsAOneLineError() throws Exception {
        Path output = Files.writeString(dir.resolve("out.jsonl"), "{\"id\": \"a\", \"output\": {\"summary\": \"x\"}}\n");
        Path notJson = Files.writeString(dir.resolve("ref.jsonl"), "{\"fname\": \"a\", \"summary\": \"x\"}\nnot json\n");
        MeshCli.Run run = mesh("batch", "eval", output.toString(), "--reference", notJson.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("ref.jsonl line 2 is not JSON");
        MeshCli.Run missing = mesh("batch", "eval", output.toString(), "--reference", dir.resolve("nope.jsonl").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("cannot read");
    }

    /** The DialogSum dev set of ../shared, when present: its own summaries score 1, and lead-3 far less. */
    @Test
    void theDialogSumDevSetReadsDirectly() throws Exception {
        Path dev = Path.of(System.getProperty("mesh.shared.dir", "../../shared"), "data", "dialogsum", "dialogsum.dev.jsonl");
        assumeTrue(Files.exists(dev), "../shared is not beside the checkout");
        List<String> lines = Files.readAllLines(dev).subList(0, 50);
        String outputs = lines.stream().map(l -> {
            try {
                JsonNode ref = Json.mapper().readTree(l);
                return Json.string(Json.object().put("id", ref.path("fname").asText()).set("output",
                        Json.object().put("summary", ref.path("summary").asText())));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).collect(Collectors.joining("\n"));
        Path output = Files.writeString(dir.resolve("self.jsonl"), outputs + "\n");
        Path reference = Files.write(dir.resolve("ref.jsonl"), lines);
        MeshCli.Run run = mesh("batch", "eval", output.toString(), "--reference", reference.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode figures = lastLine(run.out());
        assertThat(figures.path("items").asInt()).isEqualTo(50);
        assertThat(figures.path("rougeL").asDouble()).isEqualTo(1.0);
        assertThat(figures.path("lead3_rougeL").asDouble()).isBetween(0.05, 0.6);
    }
}
