package io.micromesh.core.accounting;

import io.micromesh.core.config.Engine;
import io.micromesh.core.config.EnergyProfile;
import io.micromesh.core.config.Hardware;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.config.Price;
import io.micromesh.core.spi.Usage;

/**
 * The price and energy profile of one model, turning what a request used into a {@link Charge}.
 * Energy comes from the best source at hand, in this order: RAPL joules measured by a local
 * engine worker; its measured CPU core-seconds times the configured watts per core of the
 * model's CPU share ({@code hardware.watts / hardware.cores}); configured joules per token;
 * else none. Immutable and thread-safe.
 */
public final class Tariff {

    private static final double JOULES_PER_WATT_HOUR = 3600.0;
    private static final double TOKENS_PER_MTOK = 1_000_000.0;

    private final Price price;
    private final EnergyProfile energy;
    /** Watts per CPU core of the model's share; 0 when no CPU share with watts is configured. */
    private final double wattsPerCore;
    private final boolean measuredLocally;

    private Tariff(Price price, EnergyProfile energy, double wattsPerCore, boolean measuredLocally) {
        this.price = price;
        this.energy = energy;
        this.wattsPerCore = wattsPerCore;
        this.measuredLocally = measuredLocally;
    }

    /** The tariff configured for a model. */
    public static Tariff of(ModelSpec model) {
        double wattsPerCore = model.hardwareShare().flatMap(Hardware::cpu).map(Hardware.Cpu::wattsPerCore).orElse(0.0);
        return new Tariff(model.price(), model.energyProfile().orElse(null), wattsPerCore,
                model.engine() == Engine.LLAMACPP);
    }

    /** The charge for a request that used these tokens. */
    public Charge charge(Usage used) {
        double cost = ((used.prompt() - used.cachedPrompt()) * price.inputPerMtok()
                + used.cachedPrompt() * price.cachedInputPerMtok() + used.completion() * price.outputPerMtok())
                / TOKENS_PER_MTOK;
        if (used.raplMeasured()) {
            return new Charge(cost, used.raplJoules() / JOULES_PER_WATT_HOUR, EnergyMethod.RAPL);
        }
        if (used.cpuMeasured() && wattsPerCore > 0) {
            return new Charge(cost, used.cpuSeconds() * wattsPerCore / JOULES_PER_WATT_HOUR, EnergyMethod.CPU_TIME);
        }
        if (energy == null) {
            return new Charge(cost, 0, EnergyMethod.NONE);
        }
        double joules = used.prompt() * energy.inputJPerToken() + used.completion() * energy.outputJPerToken();
        return new Charge(cost, joules / JOULES_PER_WATT_HOUR, EnergyMethod.PER_TOKEN);
    }

    /**
     * The charge for transcribing {@code audioSeconds} of audio, the engine busy for {@code busySeconds}:
     * the price per audio minute; energy from the busy time and the watts per core of the model's
     * CPU share, times the cores the engine used (one for Vosk, its threads for whisper.cpp), else none.
     */
    public Charge audio(double audioSeconds, double busySeconds, int coresUsed) {
        double cost = audioSeconds / 60 * price.perAudioMinute();
        if (wattsPerCore > 0 && coresUsed > 0) {
            return new Charge(cost, busySeconds * coresUsed * wattsPerCore / JOULES_PER_WATT_HOUR, EnergyMethod.CPU_TIME);
        }
        return new Charge(cost, 0, EnergyMethod.NONE);
    }

    /**
     * How this tariff's energy figures are expected to be obtained, before a request has run (the
     * header of a stream is sent first): {@code cpu-time} for a local engine worker with a CPU
     * share, even though a worker that can read RAPL counters will report {@code rapl} in the end.
     */
    public EnergyMethod energyMethod() {
        if (measuredLocally && wattsPerCore > 0) {
            return EnergyMethod.CPU_TIME;
        }
        return energy == null ? EnergyMethod.NONE : EnergyMethod.PER_TOKEN;
    }
}
