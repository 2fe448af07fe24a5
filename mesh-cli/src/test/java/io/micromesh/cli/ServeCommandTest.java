package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServeCommandTest {

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private static Run mesh(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void aBadConfigurationIsOneLineNamingTheKeyAndExitStatus2() throws Exception {
        Path config = dir.resolve("mesh.yaml");
        Files.writeString(config, "models:\n  - id: a\n    engine: llamacpp\n    file: a.gguf\n    slots: lots\n");
        Run run = mesh("serve", "--config", config.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).isEqualTo("mesh: " + config + ": models[0].slots: 'lots' is not allowed; expected a whole number");
        assertThat(run.err().strip().lines()).hasSize(1);
    }

    @Test
    void aMissingConfigurationFileIsNamed() {
        Run run = mesh("serve", "--config", dir.resolve("nope.yaml").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("nope.yaml: no such file");
    }

    @Test
    void checkValidatesAndSummarisesWithoutServing() throws Exception {
        Path config = dir.resolve("mesh.yaml");
        Files.writeString(config, "models:\n  - id: enc\n    engine: onnx\n  - id: up\n    engine: openai\n    endpoints: [\"http://127.0.0.1:1/v1\"]\n");
        Run run = mesh("serve", "--config", config.toString(), "--check");
        assertThat(run.exit()).isZero();
    }

    @Test
    void anUnknownOptionIsRefusedWithUsage() {
        Run run = mesh("serve", "--prot", "8080");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("Unknown option").contains("'--prot'").contains("Usage: mesh serve");
    }

    @Test
    void helpListsTheCommands() {
        Run run = mesh("--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("serve").contains("micromesh");
    }
}
