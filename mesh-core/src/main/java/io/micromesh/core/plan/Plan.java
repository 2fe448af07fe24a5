package io.micromesh.core.plan;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A workload planned on a catalog: one row per stream and deployment, and the totals. The totals
 * add up the rows of routed streams and, for each stream planned side by side (no route), its
 * cheapest deployment.
 *
 * @param streams  the workload's streams
 * @param rows     each stream's share on each deployment
 * @param settings the settings it was planned with
 */
public record Plan(List<Workload.Stream> streams, List<Row> rows, Workload.Settings settings) {

    /**
     * One stream's share on one deployment.
     *
     * @param stream       the stream
     * @param deployment   the deployment
     * @param share        its share of the stream
     * @param routed       whether the stream's route sent it there (else it is one alternative of several)
     * @param peakPerS     requests (audio: seconds of audio) a second at peak
     * @param busySeconds  unit-seconds one request takes
     * @param units        units needed at peak
     * @param utilisation  their mean utilisation over the day
     * @param usdPerDay    US dollars a day
     * @param kwhPerDay    kilowatt-hours a day
     * @param co2KgPerDay  kilograms of CO2 a day
     */
    public record Row(String stream, String deployment, double share, boolean routed, double peakPerS, double busySeconds,
                      long units, double utilisation, double usdPerDay, double kwhPerDay, double co2KgPerDay) {
    }

    /** The totals of the plan (see the type's description). */
    public record Totals(double usdPerDay, double kwhPerDay, double co2KgPerDay) {
    }

    /** The rows counted in the totals. */
    public List<Row> counted() {
        Map<String, Row> cheapest = rows.stream().filter(r -> !r.routed())
                .collect(Collectors.toMap(Row::stream, Function.identity(),
                        (a, b) -> a.usdPerDay() <= b.usdPerDay() ? a : b));
        return rows.stream().filter(r -> r.routed() || cheapest.get(r.stream()) == r).toList();
    }

    public Totals totals() {
        List<Row> counted = counted();
        return new Totals(counted.stream().mapToDouble(Row::usdPerDay).sum(), counted.stream().mapToDouble(Row::kwhPerDay).sum(),
                counted.stream().mapToDouble(Row::co2KgPerDay).sum());
    }

    /** The plan as {@code mesh plan --json} prints it. */
    public ObjectNode toJson() {
        ObjectNode root = Json.object();
        ArrayNode streamList = root.putArray("streams");
        for (Workload.Stream s : streams) {
            ObjectNode node = streamList.addObject().put("name", s.name()).put("kind", s.audio() ? "audio" : "text");
            if (s.audio()) {
                node.put("audio_minutes_per_day", s.audioMinutesPerDay());
            } else {
                node.put("requests_per_day", s.requestsPerDay()).put("input_tokens", s.inputTokens())
                        .put("output_tokens", s.outputTokens());
            }
            node.put("peak_factor", s.peakFactor());
        }
        ArrayNode deployments = root.putArray("deployments");
        List<Row> counted = counted();
        for (Row r : rows.stream().sorted(Comparator.comparing(Row::stream)).toList()) {
            deployments.addObject().put("name", r.deployment()).put("stream", r.stream()).put("units", r.units())
                    .put("utilisation", round(r.utilisation(), 4)).put("usd_per_day", round(r.usdPerDay(), 2))
                    .put("kwh_per_day", round(r.kwhPerDay(), 3)).put("co2_kg_per_day", round(r.co2KgPerDay(), 3))
                    .put("share", r.share()).put("peak_per_s", round(r.peakPerS(), 4))
                    .put("busy_seconds", round(r.busySeconds(), 6)).put("counted_in_totals", counted.contains(r));
        }
        Totals t = totals();
        root.putObject("totals").put("usd_per_day", round(t.usdPerDay(), 2)).put("kwh_per_day", round(t.kwhPerDay(), 3))
                .put("co2_kg_per_day", round(t.co2KgPerDay(), 3));
        root.putObject("settings").put("max_utilisation", settings.maxUtilisation())
                .put("grid_g_co2_per_kwh", settings.gridGCo2PerKwh());
        return root;
    }

    static double round(double value, int places) {
        double scale = Math.pow(10, places);
        return Math.round(value * scale) / scale;
    }
}
