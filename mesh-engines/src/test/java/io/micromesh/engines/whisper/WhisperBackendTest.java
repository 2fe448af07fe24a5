package io.micromesh.engines.whisper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micromesh.core.config.Capability;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.config.Price;
import io.micromesh.core.MeshException;
import io.micromesh.core.spi.PcmAudio;
import io.micromesh.core.spi.Transcript;
import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * whisper.cpp through whisper-jni on model files the test writes (a header with no weights, which
 * whisper.cpp loads as an empty model), and the header check that keeps files of other kinds away
 * from native code, where they would abort the JVM.
 */
class WhisperBackendTest {

    private static final Path SHARED = Path.of("..", "..", "shared", "models");

    @TempDir
    Path dir;

    private static ModelSpec.WhisperCpp spec(Path file) {
        return new ModelSpec.WhisperCpp(new ModelSpec.Basics("asr", null, Price.FREE, null, null,
                EnumSet.of(Capability.TRANSCRIPTION)), file.toString(), null, 1);
    }

    /** Two seconds of a 440 Hz tone at 16 kHz. */
    private static PcmAudio tone() {
        ByteBuffer pcm = ByteBuffer.allocate(2 * 32_000).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 32_000; i++) {
            pcm.putShort((short) (8000 * Math.sin(2 * Math.PI * 440 * i / 16_000.0)));
        }
        return new PcmAudio(pcm.array(), 16_000f);
    }

    @Test
    void anEmptyModelOfWhispersShapeLoadsAndTranscribesSilentlyWithoutWeights() throws Exception {
        Path file = dir.resolve("ggml-tiny-empty.bin");
        WhisperModelFile.writeEmpty(file, WhisperModelFile.Shape.TINY);
        WhisperModelFile header = WhisperModelFile.check(file);
        assertThat(header.audioState()).isEqualTo(384);
        assertThat(header.textLayers()).isEqualTo(4);
        assertThat(header.mels()).isEqualTo(80);
        assertThat(header.multilingual()).isFalse();
        assertThat(header.hasWeights()).isFalse();
        try (WhisperBackend backend = WhisperBackend.open(spec(file))) {
            assertThat(backend.health().serving()).isTrue();
            assertThat(backend.health().detail()).contains("no weights");
            assertThat(backend.sampleRate()).isEqualTo(16_000f);
            Transcript transcript = backend.transcribe(tone(), null, "a prompt is passed on");
            assertThat(transcript.seconds()).isEqualTo(2.0);
            assertThat(transcript.text()).as("zero weights hear nothing").isBlank();
            assertThatThrownBy(() -> backend.transcribe(tone(), "de", null)).isInstanceOf(MeshException.class)
                    .hasMessageContaining("English-only").hasMessageContaining("'de'");
        }
    }

    @Test
    void filesOfOtherKindsAreRefusedBeforeNativeCodeWithTheReason() throws Exception {
        Path gguf = dir.resolve("model.gguf");
        GgufWriter.writeRandomLlama(gguf, Shape.tiny(GgmlType.F32), "tiny", 1);
        assertThatThrownBy(() -> WhisperBackend.open(spec(gguf))).isInstanceOf(WhisperModelFile.InvalidModelFile.class)
                .hasMessageContaining("is not a whisper.cpp model file").hasMessageContaining("GGUF file");

        // the layout of a Silero voice-activity ggml file: the magic, then a name instead of hyper-parameters
        ByteBuffer vad = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        vad.putInt(WhisperModelFile.MAGIC).putInt(10).put("silero-16k".getBytes(StandardCharsets.US_ASCII)).putInt(6);
        Path silero = Files.write(dir.resolve("vad.bin"), vad.array());
        assertThatThrownBy(() -> WhisperBackend.open(spec(silero))).hasMessageContaining("vocabulary has 10 tokens");

        Path whole = dir.resolve("whole.bin");
        WhisperModelFile.writeEmpty(whole, WhisperModelFile.Shape.TINY);
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(dir.resolve("cut.bin"), Arrays.copyOf(bytes, 40_000));
        assertThatThrownBy(() -> WhisperBackend.open(spec(cut))).hasMessageContaining("ends inside its mel filters");
        Path cutInVocabulary = Files.write(dir.resolve("cut-vocabulary.bin"), Arrays.copyOf(bytes, bytes.length - 3));
        assertThatThrownBy(() -> WhisperBackend.open(spec(cutInVocabulary))).hasMessageContaining("ends inside its vocabulary");
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(4 + 9 * 4, 64);  // n_mels, the tenth hyper-parameter: 64 bands
        Path odd = Files.write(dir.resolve("odd.bin"), bytes);
        assertThatThrownBy(() -> WhisperBackend.open(spec(odd))).hasMessageContaining("64 mel bands");
        assertThatThrownBy(() -> WhisperBackend.open(spec(dir.resolve("absent.bin")))).hasMessageContaining("no such file");
        Path tiny = Files.write(dir.resolve("short.bin"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> WhisperBackend.open(spec(tiny))).hasMessageContaining("fewer than a header");
    }

    @Test
    void whisperCppsOwnTestFileLoadsAndASileroFileIsRefused() throws IOException, WhisperModelFile.InvalidModelFile {
        Path tinyEn = SHARED.resolve("for-tests-ggml-tiny.en.bin");
        Path silero = SHARED.resolve("for-tests-silero-v6.2.0-ggml.bin");
        assumeTrue(Files.exists(tinyEn) && Files.exists(silero), "../shared/models is absent");
        WhisperModelFile header = WhisperModelFile.check(tinyEn);
        assertThat(header.vocabulary()).isEqualTo(51_864);
        assertThat(header.hasWeights()).isFalse();
        try (WhisperBackend backend = WhisperBackend.open(spec(tinyEn))) {
            assertThat(backend.transcribe(tone(), "en", null).text()).isBlank();
        }
        assertThatThrownBy(() -> WhisperBackend.open(spec(silero))).isInstanceOf(WhisperModelFile.InvalidModelFile.class)
                .hasMessageContaining("is not a whisper.cpp model file");
    }
}
