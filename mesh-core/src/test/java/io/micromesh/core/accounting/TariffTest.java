package io.micromesh.core.accounting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.spi.Usage;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each way a request's energy is found, in its order of preference, and the price of tokens and of audio. */
class TariffTest {

    private static Tariff tariff(String model) {
        return Tariff.of(ConfigLoader.withEnvironment(Map.of()).parse("models:\n  - " + model + "\n").models().getFirst());
    }

    @Test
    void raplJoulesWinOverCpuTimeWhichWinsOverJoulesPerToken() {
        Tariff local = tariff("{ id: m, engine: llamacpp, file: m.gguf, hardware: { kind: cpu, cores: 4, watts: 60 },"
                + " energy: { input-j-per-token: 1, output-j-per-token: 2, source: datasheet },"
                + " price: { input-per-mtok: 1.0, output-per-mtok: 3.0 } }");
        Charge rapl = local.charge(new Usage(1_000, 500, 2.0, 72.0));
        assertThat(rapl.method()).isEqualTo(EnergyMethod.RAPL);
        assertThat(rapl.energyWh()).isCloseTo(72.0 / 3600, within(1e-12));
        assertThat(rapl.costUsd()).isCloseTo((1_000 * 1.0 + 500 * 3.0) / 1e6, within(1e-15));

        Charge cpu = local.charge(new Usage(1_000, 500, 2.0, 0));
        assertThat(cpu.method()).isEqualTo(EnergyMethod.CPU_TIME);
        assertThat(cpu.energyWh()).as("2 core-seconds at 15 W a core").isCloseTo(30.0 / 3600, within(1e-12));

        Charge perToken = local.charge(new Usage(1_000, 500));
        assertThat(perToken.method()).isEqualTo(EnergyMethod.PER_TOKEN);
        assertThat(perToken.energyWh()).isCloseTo((1_000 * 1 + 500 * 2) / 3600.0, within(1e-12));

        assertThat(tariff("{ id: m, engine: openai, endpoints: [\"http://x/v1\"] }").charge(new Usage(10, 10)).method())
                .isEqualTo(EnergyMethod.NONE);
    }

    @Test
    void audioIsPricedPerMinuteAndPowersTheCoresItKeptBusy() {
        Tariff asr = tariff("{ id: asr, engine: vosk, hardware: { kind: cpu, cores: 2, watts: 30 },"
                + " price: { per-audio-minute: 0.006 } }");
        Charge heard = asr.audio(90, 9, 1);
        assertThat(heard.costUsd()).isCloseTo(1.5 * 0.006, within(1e-12));
        assertThat(heard.energyWh()).as("9 s on one core at 15 W").isCloseTo(135.0 / 3600, within(1e-12));
        assertThat(heard.method()).isEqualTo(EnergyMethod.CPU_TIME);
        assertThat(asr.audio(90, 9, 2).energyWh()).isCloseTo(2 * 135.0 / 3600, within(1e-12));
        assertThat(asr.audio(90, 9, 0).method()).as("transcribed elsewhere").isEqualTo(EnergyMethod.NONE);
        assertThat(tariff("{ id: asr, engine: vosk }").audio(60, 5, 1).costUsd()).isZero();
    }
}
