package io.micromesh.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.micromesh.core.config.ConfigException;
import io.micromesh.core.config.ConfigLoader;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The throughput model of {@code mesh plan} on cases computed by hand, and what it refuses. */
class PlannerTest {

    private static final ConfigLoader YAML = ConfigLoader.withEnvironment(Map.of());

    private static final String CATALOG = """
            deployments:
              - name: a
                model: eight-b
                hardware: { kind: gpu, name: G, count: 2, watts: 500, idle-watts: 100, usd-per-hour: 2 }
                throughput: { input-tokens-per-s: 10000, output-tokens-per-s: 1000, source: "a test figure" }
              - name: b
                model: three-b
                hardware: { kind: cpu, cores: 8, watts: 100, idle-watts: 20, usd-per-hour: 0.5 }
                throughput: { input-tokens-per-s: 1000, output-tokens-per-s: 100, source: "a test figure" }
              - name: v
                model: vosk
                hardware: { kind: cpu, cores: 1, watts: 10, idle-watts: 2, usd-per-hour: 0.02 }
                throughput: { audio-seconds-per-s: 14.4, source: "measured: bench/audio-rtf.sh, 2026-11-26" }
            """;

    private static Catalog catalog() {
        return YAML.parse(CATALOG, Catalog.class, "empty", "not a mapping");
    }

    private static Workload workload(String yaml) {
        return YAML.parse(yaml, Workload.class, "empty", "not a mapping");
    }

    @Test
    void aTextStreamSplitByShares() {
        Plan plan = Planner.plan(workload("""
                streams:
                  - { name: s, requests-per-day: 86400, input-tokens: 1000, output-tokens: 100, peak-factor: 3,
                      route: { a: 0.75, b: 0.25 } }
                settings: { max-utilisation: 0.5, grid-g-co2-per-kwh: 500 }
                """), catalog());
        Plan.Row a = plan.rows().get(0);
        // busy 1000/10000 + 100/1000 = 0.2 s; peak 1/s x 3 x 0.75 = 2.25/s; units ceil(2.25 x 0.2 / 0.5) = 1
        assertThat(a.busySeconds()).isCloseTo(0.2, within(1e-12));
        assertThat(a.peakPerS()).isCloseTo(2.25, within(1e-12));
        assertThat(a.units()).isEqualTo(1);
        assertThat(a.utilisation()).isCloseTo(0.15, within(1e-12));          // 86400 x 0.75 x 0.2 / 86400
        assertThat(a.kwhPerDay()).isCloseTo(7.68, within(1e-9));             // (2x100 + 2x400 x 0.15) x 24 / 1000
        assertThat(a.usdPerDay()).isCloseTo(96, within(1e-9));               // 2 GPUs x $2 x 24
        assertThat(a.co2KgPerDay()).isCloseTo(3.84, within(1e-9));
        Plan.Row b = plan.rows().get(1);
        // busy 1 + 1 = 2 s; peak 0.75/s; units ceil(0.75 x 2 / 0.5) = 3 exactly
        assertThat(b.units()).isEqualTo(3);
        assertThat(b.utilisation()).isCloseTo(1.0 / 6, within(1e-12));
        assertThat(b.kwhPerDay()).isCloseTo(2.4, within(1e-9));              // 3 x (20 + 80/6) x 24 / 1000
        assertThat(b.usdPerDay()).isCloseTo(36, within(1e-9));
        assertThat(plan.totals().usdPerDay()).isCloseTo(132, within(1e-9));
        assertThat(plan.totals().kwhPerDay()).isCloseTo(10.08, within(1e-9));
        assertThat(plan.totals().co2KgPerDay()).isCloseTo(5.04, within(1e-9));
        assertThat(plan.toJson().path("deployments").get(0).path("units").asLong()).isEqualTo(1);
        assertThat(plan.toJson().path("totals").path("usd_per_day").asDouble()).isEqualTo(132.0);
    }

    @Test
    void anAudioStreamGoesToTheDeploymentsThatTranscribe() {
        Plan plan = Planner.plan(workload("""
                streams:
                  - { name: calls, audio-minutes-per-day: 1440, peak-factor: 2 }
                """), catalog());
        assertThat(plan.rows()).singleElement().satisfies(v -> {
            assertThat(v.deployment()).isEqualTo("v");
            assertThat(v.units()).isEqualTo(1);                                // ceil(2 / 14.4 / 0.8) = 1
            assertThat(v.utilisation()).isCloseTo(6000.0 / 86400, within(1e-12));  // 86400 audio s / 14.4
            assertThat(v.kwhPerDay()).isCloseTo((2 + 8 * 6000.0 / 86400) * 24 / 1000, within(1e-12));
            assertThat(v.usdPerDay()).isCloseTo(0.48, within(1e-12));
            assertThat(v.co2KgPerDay()).isCloseTo(v.kwhPerDay() * 0.4, within(1e-12));  // the default 400 g/kWh
        });
    }

    @Test
    void aStreamWithoutARouteIsPlannedSideBySideAndTheTotalCountsTheCheapest() {
        Plan plan = Planner.plan(workload("""
                streams:
                  - { name: s, requests-per-day: 86400, input-tokens: 1000, output-tokens: 100 }
                """), catalog());
        assertThat(plan.rows()).extracting(Plan.Row::deployment).containsExactly("a", "b");
        Plan.Row cheapest = plan.rows().stream().min(java.util.Comparator.comparingDouble(Plan.Row::usdPerDay)).orElseThrow();
        assertThat(plan.counted()).containsExactly(cheapest);
        assertThat(plan.totals().usdPerDay()).isEqualTo(cheapest.usdPerDay());
    }

    @Test
    void mistakesNameTheirKey() {
        assertThatThrownBy(() -> YAML.parse(CATALOG.replaceFirst(", source: \"a test figure\" }", " }"), Catalog.class,
                "e", "n"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("deployments[0].throughput.source");
        assertThatThrownBy(() -> YAML.parse(CATALOG.replace("audio-seconds-per-s: 14.4", "audio-seconds-per-s: 0"),
                Catalog.class, "e", "n")).hasMessageStartingWith("deployments[2].throughput.audio-seconds-per-s");
        assertThatThrownBy(() -> YAML.parse(CATALOG.replace("input-tokens-per-s: 1000,", "input-tokens-per-s: -5,"),
                Catalog.class, "e", "n")).hasMessageStartingWith("deployments[1].throughput.input-tokens-per-s");
        assertThatThrownBy(() -> workload("""
                streams:
                  - { name: s, requests-per-day: 10, input-tokens: 10, output-tokens: 1, route: { a: 0.5, b: 0.4 } }
                """)).hasMessageStartingWith("streams[0].route").hasMessageContaining("add up to 0.9");
        assertThatThrownBy(() -> Planner.plan(workload("""
                streams:
                  - { name: s, requests-per-day: 10, input-tokens: 10, output-tokens: 1, route: { nowhere: 1 } }
                """), catalog())).hasMessageStartingWith("streams[0].route.nowhere");
        assertThatThrownBy(() -> Planner.plan(workload("""
                streams:
                  - { name: calls, audio-minutes-per-day: 10, route: { a: 1 } }
                """), catalog())).hasMessageContaining("cannot serve audio");
        Catalog textOnly = YAML.parse(CATALOG.substring(0, CATALOG.indexOf("  - name: v")), Catalog.class, "e", "n");
        assertThatThrownBy(() -> Planner.plan(workload("""
                streams:
                  - { name: calls, audio-minutes-per-day: 10 }
                """), textOnly)).hasMessageStartingWith("streams[0]").hasMessageContaining("no deployment");
        assertThatThrownBy(() -> workload("""
                streams:
                  - { name: s, requests-per-day: 10, audio-minutes-per-day: 3 }
                """)).hasMessageContaining("not both");
    }
}
