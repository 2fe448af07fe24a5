package io.micromesh.cli;

import static io.micromesh.cli.MeshCli.mesh;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task job on a real engine worker: a tiny random GGUF (its answers are noise) started in process
 * by {@code mesh batch run --config}, with a bounded output schema. The schema becomes a grammar in
 * llama.cpp, so every output is valid against it whatever the weights.
 */
@Timeout(300)
class BatchEngineTaskTest {

    @TempDir
    Path dir;

    @Test
    void everyOutputOfARandomModelMatchesTheTasksSchema() throws Exception {
        Path tiny = dir.resolve("tiny.gguf");
        GgufWriter.writeRandomLlama(tiny, Shape.tiny(GgmlType.Q8_0), "tiny", 7);
        Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                models:
                  - { id: tiny, engine: llamacpp, file: "%s", slots: 2, context: 512 }
                """.formatted(tiny));
        Path task = Files.writeString(dir.resolve("triage.yaml"), """
                name: triage
                route: tiny
                fields: [text]
                prompt: "Is this urgent? {{text}}"
                output-schema:
                  type: object
                  properties:
                    urgent: { type: string, enum: ["yes", "no"] }
                    priority: { type: integer, enum: [1, 2, 3] }
                  required: [urgent, priority]
                  additionalProperties: false
                # room for the grammar's worst case: a byte-level random model may put up to 22 characters of
                # whitespace at each of the ten places JSON allows it, one token each (64 cut an answer once)
                max-tokens: 320
                """);
        StringBuilder records = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            records.append("{\"id\": \"t").append(i).append("\", \"text\": \"message number ").append(i).append("\"}\n");
        }
        Path in = Files.writeString(dir.resolve("messages.jsonl"), records.toString());
        Path out = dir.resolve("triaged.jsonl");
        MeshCli.Run run = mesh("batch", "run", in.toString(), "--out", out.toString(), "--config", config.toString(),
                "--task", task.toString(), "--concurrency", "2");
        assertThat(run.exit()).as(run.err()).isZero();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(6);
        for (String line : lines) {
            JsonNode result = Json.mapper().readTree(line);
            assertThat(result.path("error").isNull()).as(line).isTrue();
            JsonNode output = result.path("output");
            assertThat(output.path("urgent").asText()).as(line).isIn("yes", "no");
            assertThat(output.path("priority").asInt()).as(line).isIn(1, 2, 3);
            assertThat(output.size()).as(line).isEqualTo(2);
            assertThat(result.path("model").asText()).isEqualTo("tiny");
        }
    }
}
