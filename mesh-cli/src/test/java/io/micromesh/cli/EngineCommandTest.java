package io.micromesh.cli;

import static io.micromesh.cli.MeshCli.mesh;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mesh engine}: refuses bad input in one line, and serves a GGUF model on its own as a plain backend. */
class EngineCommandTest {

    @TempDir
    Path dir;

    @Test
    void aMissingOrForeignModelFileIsOneLineAndExitStatus2() throws Exception {
        MeshCli.Run missing = mesh("engine", "--model", dir.resolve("absent.gguf").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err().strip()).startsWith("mesh: ").contains("absent.gguf: no such file");
        assertThat(missing.err().strip().lines()).hasSize(1);

        Path html = dir.resolve("model.gguf");
        Files.writeString(html, "<html>Repository not found</html>");
        MeshCli.Run foreign = mesh("engine", "--model", html.toString());
        assertThat(foreign.exit()).isEqualTo(2);
        assertThat(foreign.err()).contains("model.gguf").contains("not a GGUF");
    }

    @Test
    void slotsOutOfRangeAreRefused() {
        Path model = dir.resolve("tiny.gguf");
        GgufWriter.writeRandomLlama(model, Shape.tiny(GgmlType.F32), "tiny", 1);
        MeshCli.Run run = mesh("engine", "--model", model.toString(), "--slots", "0");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--slots").contains("1 to 256");
    }

    @Test
    void servesAModelOnItsOwnUnderItsFileNameAndStopsOnSigterm() throws Exception {
        Path model = dir.resolve("tiny-chat.gguf");
        GgufWriter.writeRandomLlama(model, Shape.tiny(GgmlType.Q4_0), "tiny", 2);
        Process engine = new ProcessBuilder(MeshProcess.command("engine", "--model", model.toString(), "--port", "0",
                "--slots", "2")).redirectError(dir.resolve("stderr.txt").toFile()).start();
        try {
            String url = MeshProcess.awaitListening(engine);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(Json.mapper().readTree(models.body()).path("data").get(0).path("id").asText()).isEqualTo("tiny-chat");
            HttpResponse<String> completion = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                    .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"tiny-chat\",\"prompt\":\"Hello\",\"max_tokens\":3,\"ignore_eos\":true}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(completion.statusCode()).isEqualTo(200);
            JsonNode body = Json.mapper().readTree(completion.body());
            assertThat(body.path("object").asText()).isEqualTo("text_completion");
            assertThat(body.path("usage").path("completion_tokens").asLong()).isEqualTo(3);
            assertThat(body.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
            engine.destroy();
            assertThat(engine.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            engine.destroyForcibly();
        }
    }
}
