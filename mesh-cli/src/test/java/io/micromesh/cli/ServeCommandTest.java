package io.micromesh.cli;

import static io.micromesh.cli.MeshCli.mesh;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {

    @TempDir
    Path dir;

    @Test
    void aBadConfigurationIsOneLineNamingTheKeyAndExitStatus2() throws Exception {
        Path config = dir.resolve("mesh.yaml");
        Files.writeString(config, "models:\n  - id: a\n    engine: llamacpp\n    file: a.gguf\n    slots: lots\n");
        MeshCli.Run run = mesh("serve", "--config", config.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).isEqualTo("mesh: " + config + ": models[0].slots: 'lots' is not allowed; expected a whole number");
        assertThat(run.err().strip().lines()).hasSize(1);
    }

    @Test
    void aBadRouteIsOneLineNamingTheKeyBeforeAnythingStarts() throws Exception {
        Path config = dir.resolve("mesh.yaml");
        Files.writeString(config, """
                models:
                  - { id: enc, engine: onnx }
                  - { id: up, engine: openai, endpoints: ["http://127.0.0.1:1/v1"] }
                routes:
                  - { name: chain, policy: fallback, candidates: [up, ghost] }
                """);
        MeshCli.Run run = mesh("serve", "--config", config.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).startsWith("mesh: " + config + ": routes[0].candidates[1]: 'ghost' is not a model of the"
                + " portfolio");
        assertThat(run.err().strip().lines()).hasSize(1);
        Files.writeString(config, """
                models:
                  - { id: whisper, engine: whisper-cpp }
                """);
        assertThat(mesh("serve", "--config", config.toString()).err().strip()).startsWith("mesh: " + config
                + ": models[0].file: is required for engine whisper-cpp: the path of a whisper.cpp ggml model file (for"
                + " example ggml-base.en.bin; mesh pull fetches it)");
    }

    @Test
    void aMissingConfigurationFileIsNamed() {
        MeshCli.Run run = mesh("serve", "--config", dir.resolve("nope.yaml").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("nope.yaml: no such file");
    }

    @Test
    void checkValidatesAndSummarisesWithoutServing() throws Exception {
        Path config = dir.resolve("mesh.yaml");
        Files.writeString(config, "models:\n  - id: enc\n    engine: onnx\n  - id: up\n    engine: openai\n    endpoints: [\"http://127.0.0.1:1/v1\"]\n");
        MeshCli.Run run = mesh("serve", "--config", config.toString(), "--check");
        assertThat(run.exit()).isZero();
    }

    @Test
    void anUnknownOptionIsRefusedWithUsage() {
        MeshCli.Run run = mesh("serve", "--prot", "8080");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("Unknown option").contains("'--prot'").contains("Usage: mesh serve");
    }

    @Test
    void helpListsTheCommands() {
        MeshCli.Run run = mesh("--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("serve").contains("micromesh");
    }
}
