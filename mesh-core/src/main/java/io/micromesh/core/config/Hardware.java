package io.micromesh.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/**
 * The share of hardware given to a model: some CPU cores, or some GPUs. Written in the
 * configuration as {@code { kind: cpu, cores: 2, watts: 35 }} or {@code { kind: gpu, count: 1, watts: 700 }}.
 */
public sealed interface Hardware {

    /** The power of the whole share, in watts; 0 when not configured. */
    double watts();

    /** The CPU cores of the share, when it is a CPU share. */
    default Optional<Cpu> cpu() {
        return this instanceof Cpu cpu ? Optional.of(cpu) : Optional.empty();
    }

    /**
     * A share of CPU cores.
     *
     * @param cores the cores, at least 1
     * @param watts the power of those cores, 0 when not configured
     */
    record Cpu(int cores, double watts) implements Hardware {
        public Cpu {
            Checks.atLeast("cores", cores, 1, 1);
            Checks.nonNegative("watts", watts);
        }

        /** The power of one core of the share, 0 when not configured. */
        public double wattsPerCore() {
            return watts / cores;
        }
    }

    /**
     * A share of GPUs.
     *
     * @param count the GPUs, at least 1
     * @param watts the power of those GPUs, 0 when not configured
     */
    record Gpu(int count, double watts) implements Hardware {
        public Gpu {
            Checks.atLeast("count", count, 1, 1);
            Checks.nonNegative("watts", watts);
        }
    }

    /**
     * The share the configuration describes; a key of the other kind is refused, not ignored.
     *
     * @throws ConfigException naming the key at fault
     */
    @JsonCreator
    static Hardware of(@JsonProperty("kind") String kind, @JsonProperty("cores") Integer cores,
                       @JsonProperty("count") Integer count, @JsonProperty("watts") Double watts) {
        if (kind == null || !(kind.equals("cpu") || kind.equals("gpu"))) {
            throw new ConfigException("kind", (kind == null ? "is required" : "'" + kind + "' is not allowed")
                    + "; allowed: cpu, gpu");
        }
        double power = watts == null ? 0 : Checks.nonNegative("watts", watts);
        if (kind.equals("cpu")) {
            if (count != null) {
                throw new ConfigException("count", "is for kind gpu; a cpu share is sized in 'cores'");
            }
            return new Cpu(Checks.atLeast("cores", cores, 1, 1), power);
        }
        if (cores != null) {
            throw new ConfigException("cores", "is for kind cpu; a gpu share is sized in 'count'");
        }
        return new Gpu(Checks.atLeast("count", count, 1, 1), power);
    }
}
