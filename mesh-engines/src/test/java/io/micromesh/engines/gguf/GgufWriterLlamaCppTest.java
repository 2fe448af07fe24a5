package io.micromesh.engines.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The writer's models are real GGUF: llama.cpp loads them, tokenizes through their byte vocabulary and generates;
 * a mixture of experts too.
 */
class GgufWriterLlamaCppTest {

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void llamaCppLoadsAndRunsTheWrittenModel(GgmlType type, @TempDir Path dir) {
        Path file = dir.resolve("tiny-" + type + ".gguf");
        GgufWriter.writeRandomLlama(file, Shape.tiny(type), "tiny", 42);
        try (LlamaModel model = new LlamaModel(new ModelParameters().setModel(file.toString()).setCtxSize(256))) {
            // byte fallback: "Hello" is its five bytes, after the space-prefix marker's three bytes
            assertThat(model.encode("Hello")).hasSizeGreaterThanOrEqualTo(5);
            int pieces = 0;
            for (LlamaOutput ignored : model.generate(new InferenceParameters("Hello, world").setNPredict(8).setSeed(1))) {
                pieces++;
            }
            assertThat(pieces).isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q4_0"})
    void llamaCppRunsAWrittenMixtureOfExperts(GgmlType type, @TempDir Path dir) {
        Path file = dir.resolve("tiny-moe-" + type + ".gguf");
        GgufWriter.writeRandomLlama(file, new Shape(2, 64, 4, 2, 32, 512, type, 4, 2), "tiny-moe", 7);
        try (LlamaModel model = new LlamaModel(new ModelParameters().setModel(file.toString()).setCtxSize(256))) {
            int pieces = 0;
            for (LlamaOutput ignored : model.generate(new InferenceParameters("Hello, world").setNPredict(8).setSeed(1))) {
                pieces++;
            }
            assertThat(pieces).isPositive();
        }
    }
}
