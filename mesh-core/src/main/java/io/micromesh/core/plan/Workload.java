package io.micromesh.core.plan;

import io.micromesh.core.config.ConfigException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a platform must serve in a day: streams of text requests (requests a day, mean tokens in and
 * out, how much busier the peak is than the mean, optionally how they are shared between
 * deployments) or of audio (minutes a day), and the planning settings. Read from YAML ({@code mesh
 * plan --workload W.yaml}) or built from the ledger; validated, every mistake naming its key.
 *
 * @param streams  what is served, at least one, names unique
 * @param settings how hard units may be driven, and the grid's carbon intensity
 */
public record Workload(List<Stream> streams, Settings settings) {

    public Workload {
        if (streams == null || streams.isEmpty()) {
            throw new ConfigException("streams", "is required: a list of at least one stream");
        }
        streams = List.copyOf(streams);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < streams.size(); i++) {
            if (!names.add(streams.get(i).name())) {
                throw new ConfigException("streams[" + i + "].name", "'" + streams.get(i).name() + "' is the name of an"
                        + " earlier stream; names must be unique");
            }
        }
        settings = settings == null ? new Settings(null, null) : settings;
    }

    /**
     * One stream of work.
     *
     * @param name               its name
     * @param requestsPerDay     text requests a day (text streams)
     * @param inputTokens        mean prompt tokens per request
     * @param outputTokens       mean completion tokens per request
     * @param peakFactor         the peak rate over the mean rate (default 1)
     * @param route              shares of the stream by deployment, adding up to 1; empty: plan the stream
     *                           on every deployment that can serve it, side by side
     * @param audioMinutesPerDay minutes of audio a day (audio streams)
     */
    public record Stream(String name, Double requestsPerDay, Double inputTokens, Double outputTokens, Double peakFactor,
                         Map<String, Double> route, Double audioMinutesPerDay) {

        public Stream {
            if (name == null || name.isBlank()) {
                throw new ConfigException("name", "is required: a name for the stream");
            }
            boolean audio = audioMinutesPerDay != null;
            boolean text = requestsPerDay != null || inputTokens != null || outputTokens != null;
            if (audio == text) {
                throw new ConfigException("", audio ? "a stream is text (requests-per-day, input-tokens, output-tokens) or"
                        + " audio (audio-minutes-per-day), not both" : "needs requests-per-day (text) or audio-minutes-per-day"
                        + " (audio)");
            }
            if (audio) {
                positive("audio-minutes-per-day", audioMinutesPerDay);
            } else {
                positive("requests-per-day", requestsPerDay);
                inputTokens = atLeastZero("input-tokens", inputTokens);
                outputTokens = atLeastZero("output-tokens", outputTokens);
                if (inputTokens + outputTokens <= 0) {
                    throw new ConfigException("input-tokens", "a text request needs input-tokens or output-tokens above 0");
                }
            }
            peakFactor = peakFactor == null ? 1.0 : peakFactor;
            if (!(peakFactor >= 1) || peakFactor.isInfinite()) {
                throw new ConfigException("peak-factor", peakFactor + " is not allowed; the peak rate over the mean rate is"
                        + " at least 1");
            }
            route = route == null ? Map.of() : new LinkedHashMap<>(route);
            double sum = 0;
            for (Map.Entry<String, Double> share : route.entrySet()) {
                if (share.getValue() == null || !(share.getValue() > 0) || share.getValue() > 1) {
                    throw new ConfigException("route." + share.getKey(), share.getValue() + " is not allowed; a share is"
                            + " above 0 and at most 1");
                }
                sum += share.getValue();
            }
            if (!route.isEmpty() && Math.abs(sum - 1) > 1e-6) {
                throw new ConfigException("route", "the shares add up to " + Math.round(sum * 1e6) / 1e6 + "; they must add"
                        + " up to 1");
            }
            route = java.util.Collections.unmodifiableMap(route);
        }

        /** Whether this is an audio stream. */
        public boolean audio() {
            return audioMinutesPerDay != null;
        }

        private static void positive(String key, Double value) {
            if (value == null || !(value > 0) || value.isInfinite()) {
                throw new ConfigException(key, value + " is not allowed; it must be a number above 0");
            }
        }

        private static double atLeastZero(String key, Double value) {
            double v = value == null ? 0 : value;
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new ConfigException(key, value + " is not allowed; it must be a number of at least 0");
            }
            return v;
        }
    }

    /**
     * @param maxUtilisation   the share of a unit's time it may be busy at peak (default 0.8)
     * @param gridGCo2PerKwh   grams of CO2 per kWh of the grid that powers the units (default 400)
     */
    public record Settings(Double maxUtilisation, Double gridGCo2PerKwh) {
        public Settings {
            maxUtilisation = maxUtilisation == null ? 0.8 : maxUtilisation;
            if (!(maxUtilisation > 0 && maxUtilisation <= 1)) {
                throw new ConfigException("max-utilisation", maxUtilisation + " is not allowed; it is above 0 and at most 1");
            }
            gridGCo2PerKwh = gridGCo2PerKwh == null ? 400.0 : gridGCo2PerKwh;
            if (!(gridGCo2PerKwh >= 0) || gridGCo2PerKwh.isInfinite()) {
                throw new ConfigException("grid-g-co2-per-kwh", gridGCo2PerKwh + " is not allowed; it is at least 0");
            }
        }
    }
}
