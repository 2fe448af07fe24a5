package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML report of {@code mesh plan} opened in a real headless Chromium (Debian's {@code chromium},
 * which {@code .ci/run} installs): it renders its charts and logs nothing to the console.
 */
@Timeout(120)
class PlanReportBrowserTest {

    @TempDir
    Path dir;

    /** What Chromium rendered and what its console said. */
    private record Rendered(String dom, List<String> console) {
    }

    private Rendered open(Path page) throws Exception {
        Path err = dir.resolve("chromium.err");
        Process chromium = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                "--v=0", "--user-data-dir=" + dir.resolve("profile"), "--dump-dom", page.toUri().toString())
                .redirectError(err.toFile()).start();
        String dom = new String(chromium.getInputStream().readAllBytes());
        assertThat(chromium.waitFor(90, TimeUnit.SECONDS)).isTrue();
        List<String> console = Files.readAllLines(err).stream().filter(line -> line.contains(":CONSOLE")).toList();
        return new Rendered(dom, console);
    }

    @Test
    void theReportRendersItsChartsWithoutAConsoleMessage() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/chromium")), "Chromium is not installed (.ci/run installs it)");
        Path workload = Files.writeString(dir.resolve("w.yaml"), """
                streams:
                  - { name: chat, requests-per-day: 100000, input-tokens: 500, output-tokens: 100 }
                  - { name: calls, audio-minutes-per-day: 10000, peak-factor: 2 }
                """);
        Path html = dir.resolve("plan.html");
        assertThat(MeshCli.mesh("plan", "--workload", workload.toString(), "--html", html.toString()).exit()).isZero();
        Rendered report = open(html);
        assertThat(report.dom()).contains("<svg").contains("<rect").contains("Capacity, cost and energy plan");
        assertThat(report.console()).isEmpty();

        // the harness sees a console error when there is one
        Path broken = Files.writeString(dir.resolve("broken.html"), "<!doctype html><html><body><script>missing();</script>"
                + "</body></html>");
        assertThat(open(broken).console()).anySatisfy(line -> assertThat(line).contains("Uncaught ReferenceError"));
    }
}
