package io.micromesh.engines.vosk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micromesh.core.Portfolio;
import io.micromesh.core.config.Capability;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.spi.SpeechBackend;
import io.micromesh.core.spi.Transcript;
import io.micromesh.engines.Engines;
import io.micromesh.engines.audio.AudioDecoder;
import io.micromesh.testkit.Wavs;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(300)
class VoskBackendTest {

    @Test
    void aBareVoskEntryTranscribesWithTheBundledEnglishModel() {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                models:
                  - id: asr
                    engine: vosk
                """);
        assertThat(config.models().getFirst().capabilities()).containsExactly(Capability.TRANSCRIPTION);
        try (Portfolio portfolio = Engines.open(config, Clock.systemUTC(), Runnable::run, List.of())) {
            var backend = portfolio.model("asr").orElseThrow().backend();
            assertThat(backend).isInstanceOf(SpeechBackend.class);
            SpeechBackend speech = (SpeechBackend) backend;
            Transcript t = speech.transcribe(AudioDecoder.decode(Wavs.tone(44_100, 2, 1), speech.sampleRate(), 60), "en", null);
            assertThat(t.seconds()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(0.01));
            assertThatThrownBy(() -> speech.transcribe(AudioDecoder.decode(Wavs.tone(16_000, 1, 1), 16_000, 60), "fr", null))
                    .hasMessageContaining("English only");
            assertThatThrownBy(() -> backend.call(null)).hasMessageContaining("transcribes speech");
        }
    }

    /**
     * Six transcriptions at once on one recognizer thread: they run one after another, so the time
     * each reports as the engine's work (what its energy is charged on) adds up to no more than the
     * time they all took, where the time each waited for the thread would add up to several times it.
     */
    @Test
    void aWaitForTheRecognizerThreadIsNotCountedAsWork() throws Exception {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                models:
                  - { id: asr, engine: vosk, hardware: { kind: cpu, cores: 1, watts: 35 } }
                """);
        try (Portfolio portfolio = Engines.open(config, Clock.systemUTC(), Runnable::run, List.of());
             var callers = java.util.concurrent.Executors.newFixedThreadPool(6)) {
            SpeechBackend speech = (SpeechBackend) portfolio.model("asr").orElseThrow().backend();
            var audio = AudioDecoder.decode(Wavs.tone(16_000, 1, 3), speech.sampleRate(), 60);
            speech.transcribe(audio, "en", null);  // the recognizer made and warm
            long started = System.nanoTime();
            List<java.util.concurrent.Future<Transcript>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                calls.add(callers.submit(() -> speech.transcribe(audio, "en", null)));
            }
            double work = 0;
            for (var call : calls) {
                work += call.get().processingSeconds();
            }
            double wall = (System.nanoTime() - started) / 1e9;
            assertThat(work).as("work %.3f s in %.3f s", work, wall).isPositive().isLessThanOrEqualTo(wall);
        }
    }

    @Test
    void keysOfOtherEnginesAreRefused() {
        assertThatThrownBy(() -> ConfigLoader.withEnvironment(Map.of()).parse("""
                models:
                  - { id: asr, engine: vosk, queue-size: 4 }
                """)).hasMessageContaining("queue-size").hasMessageContaining("not used by engine vosk");
    }
}
