package io.micromesh.core.accounting;

/** How an energy figure was obtained; reported with every figure so it can be judged. */
public enum EnergyMethod {
    /** A hardware energy counter (Intel/AMD RAPL): a measurement of energy itself. */
    RAPL("rapl"),
    /** An engine worker's measured CPU time times the configured power of its share. */
    CPU_TIME("cpu-time"),
    /** Tokens times configured joules per token, from a benchmark or a published source. */
    PER_TOKEN("per-token"),
    /** No figure: the model has no energy profile. */
    NONE("none");

    private final String key;

    EnergyMethod(String key) {
        this.key = key;
    }

    /** The name used on the wire ({@code x-mesh-energy-method}) and in metrics. */
    public String key() {
        return key;
    }
}
