package io.micromesh.core.plan;

import io.micromesh.core.config.ConfigException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Deployments a workload can be planned on: a model on some hardware, with what a unit of it costs,
 * draws and serves. Every figure names its {@code source}: a citation, or {@code "measured: COMMAND,
 * DATE"} for one measured here ({@code mesh bench --catalog-entry}).
 *
 * @param deployments the deployments, at least one, names unique
 */
public record Catalog(List<Deployment> deployments) {

    public Catalog {
        if (deployments == null || deployments.isEmpty()) {
            throw new ConfigException("deployments", "is required: a list of at least one deployment");
        }
        deployments = List.copyOf(deployments);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < deployments.size(); i++) {
            if (!names.add(deployments.get(i).name())) {
                throw new ConfigException("deployments[" + i + "].name", "'" + deployments.get(i).name()
                        + "' is the name of an earlier deployment; names must be unique");
            }
        }
    }

    /** The deployment named {@code name}, if there is one. */
    public Optional<Deployment> deployment(String name) {
        return deployments.stream().filter(d -> d.name().equals(name)).findFirst();
    }

    /** The catalog with {@code more} added (a name already here is replaced). */
    public Catalog with(Catalog more) {
        List<Deployment> all = new java.util.ArrayList<>(deployments.stream()
                .filter(d -> more.deployment(d.name()).isEmpty()).toList());
        all.addAll(more.deployments());
        return new Catalog(all);
    }

    /**
     * A model on some hardware.
     *
     * @param name       its name, which workloads' routes use
     * @param model      the model it serves
     * @param hardware   one unit's hardware: what it draws and costs
     * @param throughput what one unit serves
     */
    public record Deployment(String name, String model, Hardware hardware, Throughput throughput) {
        public Deployment {
            if (name == null || name.isBlank()) {
                throw new ConfigException("name", "is required");
            }
            if (model == null || model.isBlank()) {
                throw new ConfigException("model", "is required: the model this deployment serves");
            }
            if (hardware == null) {
                throw new ConfigException("hardware", "is required: { kind, watts, idle-watts, usd-per-hour, ... }");
            }
            if (throughput == null) {
                throw new ConfigException("throughput", "is required, with its source");
            }
        }

        /** Whether it serves text (tokens per second in both directions). */
        public boolean servesText() {
            return throughput.inputTokensPerS() != null && throughput.outputTokensPerS() != null;
        }

        /** Whether it transcribes audio. */
        public boolean servesAudio() {
            return throughput.audioSecondsPerS() != null;
        }
    }

    /**
     * One unit of a deployment. For {@code gpu}, {@code watts}, {@code idle-watts} and
     * {@code usd-per-hour} are per GPU and a unit has {@code count} GPUs; for {@code cpu} they are
     * those of the unit's {@code cores}.
     *
     * @param kind       {@code gpu} or {@code cpu}
     * @param name       the device (H100, a CPU model), for reading
     * @param count      GPUs per unit (gpu; default 1)
     * @param cores      cores per unit (cpu; default 1)
     * @param watts      power at full load
     * @param idleWatts  power when idle
     * @param usdPerHour price per hour
     * @param source     where the power and price figures come from
     */
    public record Hardware(String kind, String name, Integer count, Integer cores, Double watts, Double idleWatts,
                           Double usdPerHour, String source) {
        public Hardware {
            if (!"gpu".equals(kind) && !"cpu".equals(kind)) {
                throw new ConfigException("kind", "'" + kind + "' is not allowed; gpu or cpu");
            }
            count = count == null ? 1 : count;
            cores = cores == null ? 1 : cores;
            if (count < 1 || cores < 1) {
                throw new ConfigException(count < 1 ? "count" : "cores", "must be at least 1");
            }
            watts = positive("watts", watts);
            idleWatts = idleWatts == null ? 0 : idleWatts;
            if (!(idleWatts >= 0) || idleWatts > watts) {
                throw new ConfigException("idle-watts", idleWatts + " is not allowed; from 0 to watts (" + watts + ")");
            }
            if (usdPerHour == null || !(usdPerHour >= 0) || usdPerHour.isInfinite()) {
                throw new ConfigException("usd-per-hour", usdPerHour + " is not allowed; a price of at least 0 is required");
            }
        }

        /** Devices in a unit whose figures multiply: GPUs for gpu, 1 for cpu (figures are the cores'). */
        int devices() {
            return "gpu".equals(kind) ? count : 1;
        }

        /** Full-load watts of one unit. */
        public double unitWatts() {
            return watts * devices();
        }

        /** Idle watts of one unit. */
        public double unitIdleWatts() {
            return idleWatts * devices();
        }

        /** US dollars an hour for one unit. */
        public double unitUsdPerHour() {
            return usdPerHour * devices();
        }

        private static double positive(String key, Double value) {
            if (value == null || !(value > 0) || value.isInfinite()) {
                throw new ConfigException(key, value + " is not allowed; it must be a number above 0");
            }
            return value;
        }
    }

    /**
     * What one unit serves, busy: tokens per second in and out (text), or seconds of audio per
     * second (speech). Zero or negative figures are refused: a unit that serves nothing cannot be planned.
     *
     * @param inputTokensPerS  prompt tokens per second
     * @param outputTokensPerS completion tokens per second
     * @param audioSecondsPerS seconds of audio transcribed per second
     * @param source           where the figures come from (a citation, or "measured: COMMAND, DATE")
     */
    public record Throughput(Double inputTokensPerS, Double outputTokensPerS, Double audioSecondsPerS, String source) {
        public Throughput {
            if (source == null || source.isBlank()) {
                throw new ConfigException("source", "is required: a citation, or \"measured: COMMAND, DATE\"");
            }
            if ((inputTokensPerS == null) != (outputTokensPerS == null)) {
                throw new ConfigException(inputTokensPerS == null ? "input-tokens-per-s" : "output-tokens-per-s",
                        "is required with the other: a text deployment gives both");
            }
            if (inputTokensPerS == null && audioSecondsPerS == null) {
                throw new ConfigException("", "needs input-tokens-per-s and output-tokens-per-s (text) or"
                        + " audio-seconds-per-s (speech)");
            }
            for (Object[] figure : new Object[][] {{"input-tokens-per-s", inputTokensPerS},
                    {"output-tokens-per-s", outputTokensPerS}, {"audio-seconds-per-s", audioSecondsPerS}}) {
                Double value = (Double) figure[1];
                if (value != null && (!(value > 0) || value.isInfinite())) {
                    throw new ConfigException((String) figure[0], value + " is not allowed; a throughput is above 0");
                }
            }
        }
    }
}
