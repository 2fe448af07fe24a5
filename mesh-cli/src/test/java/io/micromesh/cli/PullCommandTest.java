package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micromesh.testkit.HubStandIn;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code mesh pull} through picocli, as a user runs it, against the Hugging Face stand-in. */
class PullCommandTest {

    private static final byte[] CONTENT = new byte[250_000];

    static {
        new Random(1).nextBytes(CONTENT);
    }

    @TempDir
    Path dir;

    private HubStandIn hub;

    private record Run(int exit, String out, String err) {
    }

    @BeforeEach
    void start() {
        hub = HubStandIn.start().lfsFile("acme/tiny-GGUF", "tiny.gguf", CONTENT);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private Run mesh(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        ((PullCommand) cli.getSubcommands().get("pull").getCommand()).environment = environment;
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Run mesh(String... args) {
        return mesh(Map.of("MESH_HF_ENDPOINT", hub.endpoint()), args);
    }

    @Test
    void pullsIntoDirShowsProgressAndSaysWhatItChecked() throws Exception {
        Path models = dir.resolve("models");
        Run run = mesh("pull", "hf://acme/tiny-GGUF/tiny.gguf", "--dir", models.toString());

        assertThat(run.exit()).isZero();
        assertThat(Files.readAllBytes(models.resolve("tiny.gguf"))).isEqualTo(CONTENT);
        assertThat(run.out().strip()).isEqualTo(models.resolve("tiny.gguf") + ": 250.0 kB, SHA-256 "
                + HubStandIn.sha256(CONTENT) + " (matches x-linked-etag)");
        // standard error is not a terminal here: plain lines, the last one at the end
        assertThat(run.err().lines().toList().getLast())
                .startsWith("tiny.gguf: 250.0 kB of 250.0 kB (100%), ").contains(" done in ");
    }

    @Test
    void aSecondPullSaysTheFileIsAlreadyThere() {
        mesh("pull", "hf://acme/tiny-GGUF/tiny.gguf", "--dir", dir.toString());
        Run again = mesh("pull", "hf://acme/tiny-GGUF/tiny.gguf", "--dir", dir.toString(),
                "--sha256", HubStandIn.sha256(CONTENT));

        assertThat(again.exit()).isZero();
        assertThat(again.out().strip()).isEqualTo(dir.resolve("tiny.gguf") + " is already there, nothing to download"
                + " (SHA-256 matches)");
        assertThat(hub.cdnRequests()).hasSize(1);
    }

    @Test
    void anInterruptedPullFailsWithOneLineAndTheNextResumes() throws Exception {
        hub.cutNextDownloadAfter(50_000);
        Run broken = mesh("pull", "hf://acme/tiny-GGUF/tiny.gguf", "--dir", dir.toString());

        assertThat(broken.exit()).isEqualTo(2);
        assertThat(broken.err().lines().toList().getLast()).startsWith("mesh: download from localhost:")
                .endsWith("broke off after 50000 of 250000 bytes; run the same pull again to resume it")
                .doesNotContain("Exception");

        Run resumed = mesh("pull", "hf://acme/tiny-GGUF/tiny.gguf", "--dir", dir.toString());

        assertThat(resumed.exit()).isZero();
        assertThat(resumed.out()).contains("250.0 kB, resumed after 50.0 kB, SHA-256");
        assertThat(hub.bytesSent()).isEqualTo(CONTENT.length);
        assertThat(Files.readAllBytes(dir.resolve("tiny.gguf"))).isEqualTo(CONTENT);
    }

    @Test
    void aWrongSha256IsRefusedInOneLineWithStatus2() {
        String wrong = "0".repeat(64);
        Run run = mesh("pull", "hf://acme/tiny-GGUF/tiny.gguf", "--dir", dir.toString(), "--sha256", wrong);

        assertThat(run.exit()).isEqualTo(2);
        String last = run.err().lines().toList().getLast();
        assertThat(last).startsWith("mesh: checksum mismatch for tiny.gguf: expected SHA-256 " + wrong
                + " (--sha256), got " + HubStandIn.sha256(CONTENT) + "; the download is kept aside as ");
        assertThat(dir.resolve("tiny.gguf")).doesNotExist();
    }

    @Test
    void aMissingFileIsOneLineWithStatus2() {
        Run run = mesh("pull", "hf://acme/tiny-GGUF/other.gguf", "--dir", dir.toString());

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).startsWith("mesh: hf://acme/tiny-GGUF/other.gguf: no such file in the repository (404")
                .doesNotContain("\n");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void aGatedRepositoryIsPulledWithHfTokenFromTheEnvironment() {
        hub.gated("acme/tiny-GGUF", "hf_secret");
        Run refused = mesh("pull", "hf://acme/tiny-GGUF/tiny.gguf", "--dir", dir.toString());
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("gated").contains("HF_TOKEN");

        Run run = mesh(Map.of("MESH_HF_ENDPOINT", hub.endpoint(), "HF_TOKEN", "hf_secret"),
                "pull", "hf://acme/tiny-GGUF/tiny.gguf", "--dir", dir.toString());

        assertThat(run.exit()).isZero();
        assertThat(hub.cdnRequests()).allSatisfy(r -> assertThat(r.header("authorization")).isEmpty());
    }

    @Test
    void anUnsupportedSchemeIsRefused() {
        Run run = mesh("pull", "ftp://example.com/m.gguf");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).isEqualTo("mesh: unsupported source 'ftp://example.com/m.gguf':"
                + " use hf://OWNER/REPO/FILE, https://... or http://...");
    }

    @Test
    void aMissingSourceIsAUsageError() {
        Run run = mesh("pull");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("Missing required parameter: 'SOURCE'").contains("Usage: mesh pull");
    }

    @Test
    void helpDescribesThePullCommand() {
        Run top = mesh("--help");
        Run help = mesh("pull", "--help");

        assertThat(top.out()).contains("pull");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("--dir=DIR").contains("--sha256=HEX").contains("HF_TOKEN")
                .contains("MESH_HF_ENDPOINT");
    }
}
