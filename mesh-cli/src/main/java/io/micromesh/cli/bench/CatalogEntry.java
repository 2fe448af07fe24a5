package io.micromesh.cli.bench;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A deployment for {@code mesh plan}'s catalog from what {@code mesh bench} measured, so that a user
 * plans on their own figures ({@code mesh bench ... --catalog-entry NAME}). From the load point that
 * served the most: for text, the tokens a second in total, given as both the input and the output
 * rate (the planner adds a request's input and output time; with the total in both, its busy time
 * per request is what the run measured for requests of this shape); for speech, seconds of audio a
 * second; watts, from the energy the answers reported ({@code usage.energy_wh}) over the run's time,
 * when there was any. What the run cannot know (idle watts, the price, the hardware) is left for the
 * user, marked in the entry.
 */
public final class CatalogEntry {

    private CatalogEntry() {
    }

    /**
     * The entry as YAML lines to paste under {@code deployments:}.
     *
     * @param command the bench command that measured it, for the source
     */
    public static String yaml(String name, String model, List<Report.Point> points, String command) {
        Report.Point best = points.stream().max(Comparator.comparingDouble(p -> p.figures().audioSecondsPerS() > 0
                ? p.figures().audioSecondsPerS() : p.figures().inputTokensPerS() + p.figures().outputTokensPerS()))
                .orElseThrow(() -> new IllegalArgumentException("no load point was measured"));
        Figures f = best.figures();
        String date = LocalDate.now(ZoneOffset.UTC).toString();
        String source = "measured: " + command.replace("\"", "'") + ", " + date + " (" + best.label() + ")";
        double seconds = f.requestsPerS() > 0 ? f.requests() / f.requestsPerS() : 0;
        double watts = seconds > 0 ? f.energyWh() * 3600 / seconds : 0;
        StringBuilder yaml = new StringBuilder();
        yaml.append("  - name: ").append(name).append('\n');
        yaml.append("    model: ").append(model).append('\n');
        yaml.append("    hardware:\n      kind: cpu            # or gpu, with count: N; set yours\n");
        if (watts > 0) {
            yaml.append(String.format(Locale.ROOT, "      watts: %.2f          # from usage.energy_wh over the run%n", watts));
        } else {
            yaml.append("      watts: 1             # not measured: the answers reported no energy; set yours\n");
        }
        yaml.append("      idle-watts: 0        # not measured: set yours\n");
        yaml.append("      usd-per-hour: 0      # set your price\n");
        yaml.append("      source: \"").append(watts > 0 ? "watts " + source : "set your own").append("\"\n");
        yaml.append("    throughput:\n");
        if (f.audioSecondsPerS() > 0) {
            yaml.append(String.format(Locale.ROOT, "      audio-seconds-per-s: %.3f%n", f.audioSecondsPerS()));
        } else {
            double total = f.inputTokensPerS() + f.outputTokensPerS();
            yaml.append(String.format(Locale.ROOT, "      input-tokens-per-s: %.2f%n      output-tokens-per-s: %.2f%n", total, total));
        }
        yaml.append("      source: \"").append(source).append("\"\n");
        return yaml.toString();
    }
}
