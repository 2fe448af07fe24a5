package io.micromesh.engines.llamacpp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The machine's RAPL energy counters under {@code /sys/class/powercap}: one per CPU package
 * ({@code intel-rapl:N}, also on AMD), each a microjoule count that wraps at
 * {@code max_energy_range_uj}. Read as one cumulative meter in joules, wrap-arounds unrolled.
 * The counters measure the whole package, not one process: an engine worker alone on its cores
 * is what makes the reading its own (see docs/energy.md). Thread-safe.
 */
public final class RaplCounters implements EnergyLedger.Meter {

    /** Where Linux exposes the counters. */
    public static final Path POWERCAP = Path.of("/sys/class/powercap");

    private record Counter(Path energy, double rangeJoules) {
    }

    private final List<Counter> counters;
    private final double[] last;
    private final double[] wraps;

    private RaplCounters(List<Counter> counters) {
        this.counters = counters;
        this.last = new double[counters.size()];
        this.wraps = new double[counters.size()];
    }

    /**
     * The package counters under {@code powercap}, when there are any and they are readable (they
     * are root-only on recent kernels, and absent in most virtual machines).
     */
    public static Optional<RaplCounters> open(Path powercap) {
        List<Counter> counters = new ArrayList<>();
        try (Stream<Path> zones = Files.list(powercap)) {
            for (Path zone : zones.sorted().toList()) {
                String name = zone.getFileName().toString();
                if (!name.matches("intel-rapl:\\d+")) {
                    continue;  // sub-zones (core, uncore, dram) are already inside their package
                }
                Path energy = zone.resolve("energy_uj");
                double range = Double.parseDouble(Files.readString(zone.resolve("max_energy_range_uj")).strip()) / 1e6;
                Double.parseDouble(Files.readString(energy).strip());  // readable now, not only listed
                counters.add(new Counter(energy, range));
            }
        } catch (IOException | NumberFormatException | SecurityException e) {
            return Optional.empty();
        }
        if (counters.isEmpty()) {
            return Optional.empty();
        }
        RaplCounters rapl = new RaplCounters(counters);
        rapl.read();
        return Optional.of(rapl);
    }

    /** Joules since an arbitrary origin, summed over packages. */
    @Override
    public synchronized double read() {
        double total = 0;
        for (int i = 0; i < counters.size(); i++) {
            double joules;
            try {
                joules = Double.parseDouble(Files.readString(counters.get(i).energy()).strip()) / 1e6;
            } catch (IOException | NumberFormatException e) {
                joules = last[i];  // a failed read adds nothing rather than a jump
            }
            if (joules < last[i]) {
                wraps[i] += counters.get(i).rangeJoules();
            }
            last[i] = joules;
            total += wraps[i] + joules;
        }
        return total;
    }
}
