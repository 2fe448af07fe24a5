package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code mesh plan}: JSON and table on a workload and catalog, the HTML report, the shipped catalog, one-line mistakes. */
@Timeout(60)
class PlanCommandTest {

    @TempDir
    Path dir;

    private Path file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private Path catalog() throws Exception {
        return file("catalog.yaml", """
                deployments:
                  - name: big-gpu
                    model: big
                    hardware: { kind: gpu, name: G, count: 8, watts: 700, idle-watts: 100, usd-per-hour: 3 }
                    throughput: { input-tokens-per-s: 20000, output-tokens-per-s: 500, source: "a test figure" }
                  - name: small-gpu
                    model: small
                    hardware: { kind: gpu, name: G, count: 1, watts: 700, idle-watts: 100, usd-per-hour: 3 }
                    throughput: { input-tokens-per-s: 30000, output-tokens-per-s: 3000, source: "a test figure" }
                """);
    }

    @Test
    void theJsonLineHasStreamsDeploymentsAndTotalsAsDocumented() throws Exception {
        Path workload = file("w.yaml", """
                streams:
                  - { name: summaries, requests-per-day: 130000, input-tokens: 3000, output-tokens: 300, peak-factor: 3,
                      route: { small-gpu: 0.8, big-gpu: 0.2 } }
                settings: { max-utilisation: 0.8, grid-g-co2-per-kwh: 400 }
                """);
        MeshCli.Run run = MeshCli.mesh("plan", "--workload", workload.toString(), "--catalog", catalog().toString(), "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode plan = run.result();
        assertThat(plan.path("streams").get(0).path("name").asText()).isEqualTo("summaries");
        JsonNode small = plan.path("deployments").get(0);
        assertThat(small.path("name").asText()).isEqualTo("small-gpu");
        // busy 3000/30000 + 300/3000 = 0.2 s; peak 130000/86400 x 3 x 0.8 = 3.611/s; ceil(3.611 x 0.2 / 0.8) = 1
        assertThat(small.path("units").asLong()).isEqualTo(1);
        assertThat(small.path("usd_per_day").asDouble()).isEqualTo(72.0);
        JsonNode big = plan.path("deployments").get(1);
        // busy 0.15 + 0.6 = 0.75 s; peak 0.903/s; ceil(0.903 x 0.75 / 0.8) = 1 unit of 8 GPUs: 8 x 3 x 24
        assertThat(big.path("units").asLong()).isEqualTo(1);
        assertThat(big.path("usd_per_day").asDouble()).isEqualTo(576.0);
        for (String field : new String[] {"name", "stream", "units", "utilisation", "usd_per_day", "kwh_per_day", "co2_kg_per_day"}) {
            assertThat(big.has(field)).as(field).isTrue();
        }
        assertThat(plan.path("totals").path("usd_per_day").asDouble()).isEqualTo(648.0);
        assertThat(plan.path("totals").path("co2_kg_per_day").asDouble())
                .isCloseTo(plan.path("totals").path("kwh_per_day").asDouble() * 0.4, org.assertj.core.api.Assertions.within(0.01));
    }

    @Test
    void theTableAndTheHtmlReportWithTheShippedCatalog() throws Exception {
        Path workload = file("w.yaml", """
                streams:
                  - { name: chat, requests-per-day: 100000, input-tokens: 500, output-tokens: 100 }
                  - { name: calls, audio-minutes-per-day: 10000, peak-factor: 2 }
                """);
        Path html = dir.resolve("plan.html");
        MeshCli.Run run = MeshCli.mesh("plan", "--workload", workload.toString(), "--html", html.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("llama-3.1-8b-h100-vllm").contains("vosk-small-en-cpu").contains("TOTAL")
                .contains("an alternative");
        String page = Files.readString(html);
        assertThat(page).startsWith("<!doctype html>").contains("<svg").contains("MLPerf").doesNotContain("<script");
    }

    @Test
    void mistakesAreOneLineNamingTheKeyWithExitStatus2() throws Exception {
        Path badShares = file("shares.yaml", """
                streams:
                  - { name: s, requests-per-day: 10, input-tokens: 10, output-tokens: 1, route: { small-gpu: 0.5, big-gpu: 0.3 } }
                """);
        MeshCli.Run run = MeshCli.mesh("plan", "--workload", badShares.toString(), "--catalog", catalog().toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).doesNotContain("\n").contains("streams[0].route").contains("add up to 0.8");

        Path noSource = file("nosource.yaml", """
                deployments:
                  - name: x
                    model: m
                    hardware: { kind: cpu, watts: 10, usd-per-hour: 0.1 }
                    throughput: { audio-seconds-per-s: 3 }
                """);
        Path fine = file("fine.yaml", "streams:\n  - { name: calls, audio-minutes-per-day: 10 }\n");
        MeshCli.Run missing = MeshCli.mesh("plan", "--workload", fine.toString(), "--catalog", noSource.toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("deployments[0].throughput.source");

        MeshCli.Run absent = MeshCli.mesh("plan", "--workload", dir.resolve("none.yaml").toString());
        assertThat(absent.exit()).isEqualTo(2);
        assertThat(absent.err()).contains("no such file");
    }
}
