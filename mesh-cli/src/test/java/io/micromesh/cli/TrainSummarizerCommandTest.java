package io.micromesh.cli;

import static io.micromesh.cli.MeshCli.mesh;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code mesh train summarizer} on a small slice of conversations written here. */
@Timeout(180)
class TrainSummarizerCommandTest {

    private static final String[] MATTERS = {"a refund for the broken kettle", "a new password for the shop's website",
            "the parcel that went to the wrong address", "the second charge on this month's bill",
            "an upgrade to the family plan", "the cancelled flight to Lisbon"};

    @TempDir
    Path dir;

    /**
     * Conversations whose matter is said in a middle turn, between a greeting and small talk; each
     * summary reports that turn, as human summaries do.
     */
    private Path conversations(int count) throws Exception {
        Random random = new Random(11);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String matter = MATTERS[random.nextInt(MATTERS.length)];
            String dialogue = String.join("\n", "#Person1#: Good morning. How are you today?",
                    "#Person2#: Fine, thanks. Lovely weather.",
                    "#Person1#: It is. What can I do for you?",
                    "#Person2#: I am calling about " + matter + ". I need it sorted out this week.",
                    "#Person1#: I will look into " + matter + " for you now.",
                    "#Person2#: Thank you. Bye.");
            String summary = "#Person2# calls about " + matter + " and #Person1# will look into it.";
            lines.add(Json.string(Json.object().put("fname", "c" + i).put("dialogue", dialogue).put("summary", summary)));
        }
        return Files.write(dir.resolve("conversations.jsonl"), lines);
    }

    @Test
    void trainsTheSameModelForTheSameSeedAndReportsUnseenConversations() throws Exception {
        Path data = conversations(30);
        Path first = dir.resolve("first.json");
        Path second = dir.resolve("second.json");
        MeshCli.Run run = mesh("train", "summarizer", "--data", data.toString(), "--out", first.toString(), "--holdout", "10",
                "--folds", "4", "--seed", "3");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(mesh("train", "summarizer", "--data", data.toString(), "--out", second.toString(), "--holdout", "10",
                "--folds", "4", "--seed", "3").exit()).isZero();
        assertThat(Files.readString(second)).as("deterministic with a seed").isEqualTo(Files.readString(first));

        JsonNode model = Json.mapper().readTree(first.toFile());
        assertThat(model.path("kind").asText()).isEqualTo("micromesh-summarizer");
        assertThat(model.path("about").path("held_out_dialogues").asInt()).isEqualTo(10);
        assertThat(model.path("about").path("held_out_ids")).hasSize(10);
        assertThat(model.path("about").path("validation").path("budgets")).hasSize(12);
        assertThat(model.path("about").path("validation_unlabelled").path("budgets")).hasSize(12);
        assertThat(model.path("about").path("held_out_unlabelled").path("dialogues").asInt()).isEqualTo(10);
        assertThat(run.out()).contains("held out (10 conversations").contains("<- chosen").contains("without speaker labels").contains("lead-3");
        // the matter's turn is what the summaries report: the scorer learns to take it over the greeting
        JsonNode heldOut = model.path("about").path("held_out");
        assertThat(heldOut.path("rougeL").asDouble()).as(run.out()).isGreaterThan(heldOut.path("lead3_rougeL").asDouble());

        Path task = Files.writeString(dir.resolve("task.yaml"), """
                name: t
                fields: [transcript]
                model: never
                steps:
                  - step: extract-summary
                    as: summary
                    text: "{{transcript}}"
                    scorer: %s
                """.formatted(first));
        Path input = Files.writeString(dir.resolve("in.jsonl"), Json.string(Json.object().put("id", "x").put("transcript",
                "#Person1#: Hello. How can I help?\n#Person2#: Hi. I am calling about the late parcel of shoes.\n#Person1#: Sorry.")) + "\n");
        Path config = Files.writeString(dir.resolve("mesh.yaml"), "models:\n  - { id: minilm, engine: onnx }\n");
        Path out = dir.resolve("out.jsonl");
        MeshCli.Run job = mesh("batch", "run", input.toString(), "--out", out.toString(), "--task", task.toString(),
                "--config", config.toString());
        assertThat(job.exit()).as(job.err()).isZero();
        assertThat(Files.readString(out)).contains("#Person2# is calling about the late parcel of shoes");

        Path different = dir.resolve("different.json");
        assertThat(mesh("train", "summarizer", "--data", data.toString(), "--out", different.toString(), "--holdout", "10",
                "--folds", "4", "--seed", "4").exit()).isZero();
        assertThat(Json.mapper().readTree(different.toFile()).path("about").path("held_out_ids"))
                .as("another seed sets other conversations apart").isNotEqualTo(model.path("about").path("held_out_ids"));
    }

    @Test
    void badInputIsNamedInOneLine() throws Exception {
        MeshCli.Run missing = mesh("train", "summarizer", "--data", dir.resolve("nope.jsonl").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("no such file");
        Path noSummary = Files.writeString(dir.resolve("bad.jsonl"), "{\"dialogue\": \"#Person1#: Hi.\"}\n");
        MeshCli.Run bad = mesh("train", "summarizer", "--data", noSummary.toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("line 1").contains("summary");
        MeshCli.Run few = mesh("train", "summarizer", "--data", conversations(12).toString(), "--holdout", "5");
        assertThat(few.exit()).isEqualTo(2);
        assertThat(few.err()).contains("only 7 conversations are left");
    }
}
