package io.micromesh.engines.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micromesh.engines.gguf.GgufWriter.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GgufWriterTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    @SuppressWarnings("unchecked")
    void writesATinyLlamaThatReadsBackWithItsShapeAndTensorTable(GgmlType type) throws Exception {
        Path file = dir.resolve("tiny-" + type + ".gguf");
        GgufWriter.writeRandomLlama(file, Shape.tiny(type), "tiny", 42);
        GgufFile gguf = GgufFile.read(file);

        assertThat(gguf.version()).isEqualTo(3);
        assertThat(gguf.string("general.architecture")).hasValue("llama");
        assertThat(gguf.integer("llama.block_count")).hasValue(2L);
        assertThat(gguf.integer("llama.embedding_length")).hasValue(64L);
        assertThat(gguf.integer("llama.attention.head_count_kv")).hasValue(2L);
        assertThat(gguf.string("tokenizer.chat_template")).hasValueSatisfying(t -> assertThat(t).contains("<|im_start|>"));
        assertThat((List<Object>) gguf.metadata().get("tokenizer.ggml.tokens")).hasSize(261).contains("<0x41>", "<s>");

        assertThat(gguf.tensors()).hasSize(3 + 9 * 2);
        GgufFile.Tensor k = gguf.tensors().stream().filter(t -> t.name().equals("blk.1.attn_k.weight")).findFirst().orElseThrow();
        assertThat(k.dims()).containsExactly(64, 32);  // kv width = 64 / 4 heads * 2 kv heads
        assertThat(k.typeId()).isEqualTo(type.id());
        assertThat(gguf.tensors()).filteredOn(t -> t.name().endsWith("norm.weight"))
                .allSatisfy(t -> assertThat(t.typeId()).isEqualTo(GgmlType.F32.id()));

        long expectedEnd = gguf.dataOffset();
        for (GgufFile.Tensor t : gguf.tensors()) {
            assertThat(t.offset() % 32).isZero();
            assertThat(gguf.dataOffset() + t.offset()).isEqualTo(expectedEnd);
            GgmlType tensorType = GgmlType.ofId(t.typeId()).orElseThrow();
            expectedEnd += (tensorType.bytes(t.values()) + 31) / 32 * 32;
        }
        assertThat(Files.size(file)).isEqualTo(expectedEnd);
        assertThat(Files.size(file)).as("tiny means a few hundred KB at most").isLessThan(600_000);
    }

    @Test
    void theSameSeedGivesTheSameFile() throws Exception {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        GgufWriter.writeRandomLlama(a, Shape.tiny(GgmlType.Q8_0), "m", 7);
        GgufWriter.writeRandomLlama(b, Shape.tiny(GgmlType.Q8_0), "m", 7);
        GgufWriter.writeRandomLlama(c, Shape.tiny(GgmlType.Q8_0), "m", 8);
        assertThat(Files.mismatch(a, b)).isEqualTo(-1);
        assertThat(Files.mismatch(a, c)).isNotEqualTo(-1);
    }

    @Test
    void quantizedBlocksStayWithinHalfAStepOfTheValues() {
        Random random = new Random(1);
        float[] x = new float[32];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float amax = 0;
        for (float v : x) {
            amax = Math.max(amax, Math.abs(v));
        }
        float[] q8 = Quantizer.dequantizeQ8_0(Quantizer.q8_0(x));
        float[] q4 = Quantizer.dequantizeQ4_0(Quantizer.q4_0(x));
        for (int i = 0; i < x.length; i++) {
            assertThat(Math.abs(q8[i] - x[i])).isLessThanOrEqualTo(amax / 127 * 0.51f + 1e-3f);
            assertThat(Math.abs(q4[i] - x[i])).isLessThanOrEqualTo(amax / 8 * 0.51f + 1e-3f);
        }
    }

    @Test
    void shapesThatCannotBeStoredAreRefused() {
        assertThatThrownBy(() -> new Shape(2, 60, 4, 2, 128, 512, GgmlType.Q4_0)).hasMessageContaining("multiples of 32");
        assertThatThrownBy(() -> new Shape(2, 64, 5, 1, 128, 512, GgmlType.F32)).hasMessageContaining("divide");
        assertThat(Shape.granite2b(GgmlType.Q4_0).kvWidth()).isEqualTo(512);
    }

    @Test
    void aFileThatIsNotGgufIsRefusedBeforeNativeCode() throws Exception {
        Path html = dir.resolve("model.gguf");
        Files.writeString(html, "<html><body>404 Not Found</body></html>");
        assertThatThrownBy(() -> GgufFile.read(html)).isInstanceOf(GgufException.class)
                .hasMessage(html + " is not a GGUF model: it starts with bytes 3c 68 74 6d ('<htm'), not 'GGUF'");
        assertThatThrownBy(() -> GgufFile.read(dir.resolve("missing.gguf"))).hasMessageEndingWith("no such file");
    }

    @Test
    void aTruncatedFileIsRefused() throws Exception {
        Path whole = dir.resolve("whole.gguf");
        GgufWriter.writeRandomLlama(whole, Shape.tiny(GgmlType.Q8_0), "m", 1);
        byte[] bytes = Files.readAllBytes(whole);
        Path headerCut = dir.resolve("header-cut.gguf");
        Files.write(headerCut, java.util.Arrays.copyOf(bytes, 1000));
        assertThatThrownBy(() -> GgufFile.read(headerCut)).hasMessageContaining("truncated");
        Path dataCut = dir.resolve("data-cut.gguf");
        Files.write(dataCut, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertThatThrownBy(() -> GgufFile.read(dataCut)).hasMessageContaining("truncated").hasMessageContaining("tensor");
    }

    @Test
    void aCorruptCountIsRefused() throws Exception {
        Path file = dir.resolve("corrupt.gguf");
        GgufWriter.writeRandomLlama(file, Shape.tiny(GgmlType.F16), "m", 1);
        byte[] bytes = Files.readAllBytes(file);
        bytes[15] = 0x7f;  // the high byte of the tensor count
        Files.write(file, bytes);
        assertThatThrownBy(() -> GgufFile.read(file)).hasMessageContaining("header is corrupt");
    }

    @Test
    void readsAGgufThatNobodyHereWrote() {
        Path shared = Path.of(System.getProperty("mesh.shared.dir", "../../shared"), "models", "llama-2-tiny-random.gguf");
        assumeTrue(Files.isRegularFile(shared), "../shared/models is absent");
        GgufFile gguf = GgufFile.read(shared);
        assertThat(gguf.string("general.architecture")).hasValue("llama");
        assertThat((List<?>) gguf.metadata().get("tokenizer.ggml.tokens")).hasSize(32_000);
        assertThat(gguf.tensors()).isNotEmpty();
    }

    @Test
    void tokenIdsNameTheVocabularysBytesAndEndTokens() {
        assertThat(GgufWriter.vocabulary().get(GgufWriter.byteTokenId(0x41))).isEqualTo("<0x41>");
        assertThat(GgufWriter.vocabulary().get(GgufWriter.byteTokenId(0xFF))).isEqualTo("<0xFF>");
        assertThat(GgufWriter.END_TOKEN_IDS.stream().map(GgufWriter.vocabulary()::get)).containsExactly("</s>", "<|im_end|>");
    }
}
