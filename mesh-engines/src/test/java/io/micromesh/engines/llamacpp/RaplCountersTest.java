package io.micromesh.engines.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading RAPL package counters from a powercap tree laid out as Linux does it. */
class RaplCountersTest {

    @Test
    void packagesAreSummedInJoulesAndWrapAroundsUnrolled(@TempDir Path powercap) throws Exception {
        Path pkg0 = zone(powercap, "intel-rapl:0", 5_000_000, 10_000_000);
        Path pkg1 = zone(powercap, "intel-rapl:1", 1_000_000, 10_000_000);
        zone(powercap, "intel-rapl:0:0", 999_000_000, 10_000_000);  // a sub-zone: already inside its package
        RaplCounters rapl = RaplCounters.open(powercap).orElseThrow();
        assertThat(rapl.read()).isCloseTo(6.0, within(1e-9));
        Files.writeString(pkg0.resolve("energy_uj"), "9000000");
        Files.writeString(pkg1.resolve("energy_uj"), "500000");  // wrapped past 10 J
        assertThat(rapl.read()).isCloseTo(9.0 + 10.0 + 0.5, within(1e-9));
    }

    @Test
    void noCountersOrUnreadableOnesMeanNoMeter(@TempDir Path powercap) throws Exception {
        assertThat(RaplCounters.open(powercap.resolve("absent"))).isEmpty();
        assertThat(RaplCounters.open(powercap)).isEmpty();
        Path zone = Files.createDirectories(powercap.resolve("intel-rapl:0"));
        Files.writeString(zone.resolve("max_energy_range_uj"), "100");  // energy_uj missing, as when root-only
        assertThat(RaplCounters.open(powercap)).isEmpty();
    }

    private static Path zone(Path powercap, String name, long energy, long range) throws Exception {
        Path zone = Files.createDirectories(powercap.resolve(name));
        Files.writeString(zone.resolve("energy_uj"), energy + "\n");
        Files.writeString(zone.resolve("max_energy_range_uj"), range + "\n");
        return zone;
    }
}
