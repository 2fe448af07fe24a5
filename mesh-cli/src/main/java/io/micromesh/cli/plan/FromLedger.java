package io.micromesh.cli.plan;

import io.micromesh.core.plan.Catalog;
import io.micromesh.core.plan.Plan;
import io.micromesh.core.plan.Planner;
import io.micromesh.core.plan.Workload;
import io.micromesh.store.Ledger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Closes the planner's loop: the workload the ledger recorded (one stream per route, or per model
 * asked for by name; requests a day, mean tokens, the peak factor of the busiest hour, the models'
 * shares as the route), planned on the deployments that serve those models, and the plan put beside
 * what the ledger measured: seconds per request and energy a day, with their ratios.
 */
public final class FromLedger {

    private FromLedger() {
    }

    /**
     * The measured side of one stream on one deployment, and the planned one.
     *
     * @param stream            the stream
     * @param model             the model that served it
     * @param deployment        the catalog's deployment of that model
     * @param requestsPerDay    its requests a day in the window
     * @param measuredSeconds   mean latency of a request, from the ledger (queueing and network included)
     * @param plannedSeconds    busy seconds of a unit per request, by the throughput model
     * @param measuredKwhPerDay energy attributed to its requests a day (no idle power)
     * @param plannedKwhPerDay  the planned units' energy a day (idle power included)
     */
    public record Check(String stream, String model, String deployment, double requestsPerDay, double measuredSeconds,
                        double plannedSeconds, double measuredKwhPerDay, double plannedKwhPerDay) {
    }

    /** A plan built from the ledger, with its checks and the models no deployment of the catalog serves. */
    public record Result(Plan plan, List<Check> checks, List<String> unmatched) {
    }

    /**
     * Builds and plans the workload of {@code traffic}, recorded over {@code window}.
     *
     * @throws IllegalArgumentException when the ledger holds no answered request in the window, or none
     *         of a model that a deployment of the catalog serves
     */
    public static Result plan(List<Ledger.Traffic> traffic, Duration window, Catalog catalog, Workload.Settings settings) {
        double days = window.toMillis() / 86_400_000.0;
        Map<String, List<Ledger.Traffic>> byStream = new LinkedHashMap<>();
        traffic.forEach(row -> byStream.computeIfAbsent(row.stream(), s -> new ArrayList<>()).add(row));
        List<Workload.Stream> streams = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        Map<String, Map<String, Ledger.Traffic>> served = new LinkedHashMap<>();
        for (Map.Entry<String, List<Ledger.Traffic>> entry : byStream.entrySet()) {
            List<Ledger.Traffic> rows = entry.getValue();
            Map<String, Double> route = new LinkedHashMap<>();
            Map<String, Ledger.Traffic> byDeployment = new LinkedHashMap<>();
            long matched = rows.stream().filter(r -> deploymentOf(catalog, r.model()).isPresent())
                    .mapToLong(Ledger.Traffic::requests).sum();
            for (Ledger.Traffic row : rows) {
                Optional<Catalog.Deployment> deployment = deploymentOf(catalog, row.model());
                if (deployment.isEmpty()) {
                    unmatched.add(row.model() + " (stream " + row.stream() + ")");
                    continue;
                }
                route.merge(deployment.get().name(), row.requests() / (double) matched, Double::sum);
                byDeployment.put(deployment.get().name(), row);
            }
            if (route.isEmpty()) {
                continue;
            }
            long requests = rows.stream().mapToLong(Ledger.Traffic::requests).sum();
            long prompt = rows.stream().mapToLong(Ledger.Traffic::promptTokens).sum();
            long completion = rows.stream().mapToLong(Ledger.Traffic::completionTokens).sum();
            double audio = rows.stream().mapToDouble(Ledger.Traffic::audioSeconds).sum();
            double meanPerHour = requests / (window.toMillis() / 3_600_000.0);
            double peak = Math.max(1, rows.getFirst().streamBusiestHour() / Math.max(meanPerHour, 1e-9));
            normalise(route);
            streams.add(prompt + completion == 0 && audio > 0
                    ? new Workload.Stream(entry.getKey(), null, null, null, peak, route, audio / 60 / days)
                    : new Workload.Stream(entry.getKey(), requests / days, prompt / (double) requests,
                            completion / (double) requests, peak, route, null));
            served.put(entry.getKey(), byDeployment);
        }
        if (streams.isEmpty()) {
            throw new IllegalArgumentException(traffic.isEmpty() ? "the ledger holds no answered request in the window"
                    : "no model in the ledger's window is served by a deployment of the catalog (a deployment's name or"
                    + " model must be the model's id): " + unmatched);
        }
        Plan plan = Planner.plan(new Workload(streams, settings), catalog);
        List<Check> checks = new ArrayList<>();
        for (Plan.Row row : plan.rows()) {
            Ledger.Traffic measured = served.get(row.stream()).get(row.deployment());
            checks.add(new Check(row.stream(), measured.model(), row.deployment(), measured.requests() / days,
                    measured.latencyMs() / measured.requests() / 1000, row.busySeconds()
                            * (measured.audioSeconds() > 0 && measured.promptTokens() + measured.completionTokens() == 0
                            ? measured.audioSeconds() / measured.requests() : 1),
                    measured.energyWh() / 1000 / days, row.kwhPerDay()));
        }
        return new Result(plan, checks, unmatched);
    }

    /** The checks as a table. */
    public static String table(List<Check> checks) {
        StringBuilder out = new StringBuilder("\nplanned against measured (the ledger):\n");
        String format = "%-16s %-24s %10s %11s %11s %7s %11s %11s %7s%n";
        out.append(String.format(Locale.ROOT, format, "STREAM", "DEPLOYMENT", "REQ/DAY", "PLANNED S", "MEASURED S", "RATIO",
                "PLANNED KWH", "MEASURED KWH", "RATIO"));
        for (Check c : checks) {
            out.append(String.format(Locale.ROOT, format, c.stream(), c.deployment(), String.format(Locale.ROOT, "%.0f",
                            c.requestsPerDay()), seconds(c.plannedSeconds()), seconds(c.measuredSeconds()),
                    ratio(c.measuredSeconds(), c.plannedSeconds()), kwh(c.plannedKwhPerDay()), kwh(c.measuredKwhPerDay()),
                    ratio(c.measuredKwhPerDay(), c.plannedKwhPerDay())));
        }
        out.append("seconds: a unit's busy time per request (planned) against the mean latency (measured: queueing and"
                + " network included); kWh a day: the planned units with their idle power against the energy attributed"
                + " to the requests (measured: no idle power); ratio = measured / planned\n");
        return out.toString();
    }

    private static Optional<Catalog.Deployment> deploymentOf(Catalog catalog, String model) {
        return catalog.deployment(model).or(() -> catalog.deployments().stream().filter(d -> d.model().equals(model))
                .findFirst());
    }

    private static void normalise(Map<String, Double> route) {
        double sum = route.values().stream().mapToDouble(Double::doubleValue).sum();
        route.replaceAll((k, v) -> v / sum);
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.4f", s);
    }

    private static String kwh(double k) {
        return String.format(Locale.ROOT, "%.4f", k);
    }

    private static String ratio(double measured, double planned) {
        return planned <= 0 ? "-" : String.format(Locale.ROOT, "%.2f", measured / planned);
    }
}
