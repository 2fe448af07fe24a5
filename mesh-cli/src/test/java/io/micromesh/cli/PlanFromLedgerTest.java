package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.core.accounting.EnergyMethod;
import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.config.StoreSettings;
import io.micromesh.core.dispatch.Lane;
import io.micromesh.store.Database;
import io.micromesh.store.Ledger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code mesh plan --from-ledger} on a ledger of known records: the workload it builds and the measured side. */
@Timeout(60)
class PlanFromLedgerTest {

    @TempDir
    Path dir;

    private static UsageRecord record(Instant at, String model) {
        return new UsageRecord("r", at, "anonymous", "", "support", "fallback", model, "", Lane.INTERACTIVE, "", 100, 20, 0,
                false, 0, 500_000_000L, -1, UsageRecord.OK, 0.001, 0.01, EnergyMethod.PER_TOKEN, List.of());
    }

    @Test
    void theLedgersTrafficIsPlannedAndPutBesideWhatWasMeasured() throws Exception {
        Instant now = Instant.now();
        Path state = dir.resolve("state");
        try (Database db = Database.open(StoreSettings.defaults(), state)) {
            db.migrate("gateway");
            Ledger ledger = new Ledger(db, Clock.systemUTC(), Duration.ofDays(400));
            for (int i = 0; i < 10; i++) {
                ledger.record(record(now.minus(Duration.ofHours(5)), "small"));  // the busiest hour: 10 requests
            }
            for (int k = 0; k < 38; k++) {
                ledger.record(record(now.minus(Duration.ofHours(6)).minus(Duration.ofMinutes(25L * k)), k < 12 ? "large" : "small"));
            }
            ledger.record(new UsageRecord("failed", now.minus(Duration.ofHours(2)), "anonymous", "", "support", "fallback", "small",
                    "", Lane.INTERACTIVE, "", 0, 0, 0, false, 0, 1, -1, "upstream_error", 0, 0, EnergyMethod.NONE, List.of()));
            ledger.close();
        }
        Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                server: { state-dir: "%s" }
                models:
                  - { id: small, engine: openai, endpoints: ["http://127.0.0.1:9"] }
                """.formatted(state));
        Path catalog = Files.writeString(dir.resolve("catalog.yaml"), """
                deployments:
                  - name: small
                    model: small
                    hardware: { kind: gpu, count: 1, watts: 300, idle-watts: 50, usd-per-hour: 1 }
                    throughput: { input-tokens-per-s: 1000, output-tokens-per-s: 100, source: "a test figure" }
                  - name: large-gpu
                    model: large
                    hardware: { kind: gpu, count: 4, watts: 700, idle-watts: 100, usd-per-hour: 3 }
                    throughput: { input-tokens-per-s: 2000, output-tokens-per-s: 50, source: "a test figure" }
                """);
        String since = now.minus(Duration.ofDays(1)).toString();
        MeshCli.Run run = MeshCli.mesh("plan", "--from-ledger", "--since", since, "--config", config.toString(),
                "--catalog", catalog.toString(), "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode plan = run.result();
        JsonNode stream = plan.path("streams").get(0);
        assertThat(stream.path("name").asText()).isEqualTo("support");
        assertThat(stream.path("requests_per_day").asDouble()).isCloseTo(48, within(0.1));  // the failed one does not count
        assertThat(stream.path("input_tokens").asDouble()).isEqualTo(100.0);
        assertThat(stream.path("output_tokens").asDouble()).isEqualTo(20.0);
        assertThat(stream.path("peak_factor").asDouble()).isCloseTo(5, within(0.01));  // 10 in an hour against 2 an hour
        JsonNode small = plan.path("deployments").get(0);
        assertThat(small.path("name").asText()).isEqualTo("small");
        assertThat(small.path("share").asDouble()).isCloseTo(0.75, within(1e-9));
        JsonNode measured = plan.path("measured").get(0);
        assertThat(measured.path("model").asText()).isEqualTo("small");
        assertThat(measured.path("requests_per_day").asDouble()).isCloseTo(36, within(0.1));
        assertThat(measured.path("measured_seconds").asDouble()).isCloseTo(0.5, within(1e-9));
        assertThat(measured.path("planned_seconds").asDouble()).isCloseTo(0.3, within(1e-9));  // 100/1000 + 20/100
        assertThat(measured.path("measured_kwh_per_day").asDouble()).isCloseTo(36 * 0.01 / 1000, within(1e-6));

        MeshCli.Run table = MeshCli.mesh("plan", "--from-ledger", "--since", since, "--config", config.toString(),
                "--catalog", catalog.toString());
        assertThat(table.out()).contains("planned against measured").contains("large-gpu");

        MeshCli.Run nothing = MeshCli.mesh("plan", "--from-ledger", "--since", now.minus(Duration.ofMinutes(1)).toString(),
                "--config", config.toString());
        assertThat(nothing.exit()).isEqualTo(2);
        assertThat(nothing.err()).contains("no answered request");
        assertThat(MeshCli.mesh("plan", "--config", config.toString()).err()).contains("--workload FILE, or --from-ledger");
    }
}
