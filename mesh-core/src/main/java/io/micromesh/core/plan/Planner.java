package io.micromesh.core.plan;

import io.micromesh.core.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Sizes the hardware for a workload on a catalog's deployments, with the throughput model of
 * {@code mesh plan}: a request keeps one unit busy for {@code input-tokens / input-tokens-per-s +
 * output-tokens / output-tokens-per-s} seconds (audio: its seconds over {@code audio-seconds-per-s});
 * the peak load is {@code requests-per-day / 86400 × peak-factor × share}; {@code units =
 * ceil(peak load × busy seconds / max-utilisation)}; the mean utilisation {@code u = daily busy
 * seconds / (units × 86400)}; {@code kwh_per_day = units × (idle-watts + (watts − idle-watts) × u) ×
 * 24 / 1000}; {@code usd_per_day = units × usd-per-hour × 24}; CO2 from the grid's intensity. A
 * stream with a route is planned on its deployments by share; one without, on every deployment
 * that can serve it, side by side. Pure: no I/O.
 */
public final class Planner {

    private static final double SECONDS_PER_DAY = 86_400;

    private Planner() {
    }

    /**
     * Plans {@code workload} on {@code catalog}.
     *
     * @throws ConfigException when a stream's route names a deployment the catalog lacks or one that
     *         cannot serve the stream, or no deployment can serve a stream
     */
    public static Plan plan(Workload workload, Catalog catalog) {
        List<Plan.Row> rows = new ArrayList<>();
        for (int i = 0; i < workload.streams().size(); i++) {
            Workload.Stream stream = workload.streams().get(i);
            String at = "streams[" + i + "]";
            if (stream.route().isEmpty()) {
                List<Catalog.Deployment> able = catalog.deployments().stream().filter(d -> serves(d, stream)).toList();
                if (able.isEmpty()) {
                    throw new ConfigException(at, "no deployment of the catalog serves stream '" + stream.name() + "' ("
                            + (stream.audio() ? "audio: none has audio-seconds-per-s" : "text: none has tokens per second")
                            + ")");
                }
                for (Catalog.Deployment deployment : able) {
                    rows.add(row(stream, deployment, 1.0, false, workload.settings()));
                }
                continue;
            }
            for (Map.Entry<String, Double> share : stream.route().entrySet()) {
                Catalog.Deployment deployment = catalog.deployment(share.getKey()).orElseThrow(() -> new ConfigException(
                        at + ".route." + share.getKey(), "is not a deployment of the catalog; deployments: "
                        + catalog.deployments().stream().map(Catalog.Deployment::name).toList()));
                if (!serves(deployment, stream)) {
                    throw new ConfigException(at + ".route." + share.getKey(), "deployment '" + deployment.name()
                            + "' cannot serve " + (stream.audio() ? "audio" : "text") + " stream '" + stream.name() + "'");
                }
                rows.add(row(stream, deployment, share.getValue(), true, workload.settings()));
            }
        }
        return new Plan(workload.streams(), rows, workload.settings());
    }

    private static boolean serves(Catalog.Deployment deployment, Workload.Stream stream) {
        return stream.audio() ? deployment.servesAudio() : deployment.servesText();
    }

    /** One stream's share on one deployment, by the throughput model. */
    static Plan.Row row(Workload.Stream stream, Catalog.Deployment deployment, double share, boolean routed,
                        Workload.Settings settings) {
        Catalog.Throughput t = deployment.throughput();
        // an audio stream is requests of one second of audio each, spread over the day
        double requestsPerDay = stream.audio() ? stream.audioMinutesPerDay() * 60 : stream.requestsPerDay();
        double busySeconds = stream.audio() ? 1 / t.audioSecondsPerS()
                : stream.inputTokens() / t.inputTokensPerS() + stream.outputTokens() / t.outputTokensPerS();
        double peakPerS = requestsPerDay / SECONDS_PER_DAY * stream.peakFactor() * share;
        long units = (long) Math.ceil(peakPerS * busySeconds / settings.maxUtilisation() - 1e-9);
        units = Math.max(units, 1);
        double dailyBusy = requestsPerDay * share * busySeconds;
        double utilisation = dailyBusy / (units * SECONDS_PER_DAY);
        Catalog.Hardware h = deployment.hardware();
        double kwh = units * (h.unitIdleWatts() + (h.unitWatts() - h.unitIdleWatts()) * utilisation) * 24 / 1000;
        double usd = units * h.unitUsdPerHour() * 24;
        double co2 = kwh * settings.gridGCo2PerKwh() / 1000;
        return new Plan.Row(stream.name(), deployment.name(), share, routed, peakPerS, busySeconds, units, utilisation, usd,
                kwh, co2);
    }
}
