package io.micromesh.engines.onnx;

import static io.micromesh.testkit.Vectors.cosine;
import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MiniLmEncoderTest {

    private static final List<String> TEXTS = List.of(
            "The cat sits on the mat.",
            "A kitten is resting on a rug.",
            "Quarterly revenue grew by twelve percent, driven by cloud subscriptions.",
            "My order 4471 never arrived and I want a refund.",
            "How do I reset my password?",
            "Photosynthesis converts light energy into chemical energy in plants.");

    private static MiniLmEncoder encoder;

    @BeforeAll
    static void load() {
        encoder = MiniLmEncoder.loadBundled(2);
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    @Test
    void vectorsMatchLangChain4jReferenceModel() {
        AllMiniLmL6V2QuantizedEmbeddingModel reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
        float[][] ours = encoder.embed(encoder.tokenize(TEXTS));
        for (int i = 0; i < TEXTS.size(); i++) {
            float[] theirs = reference.embed(TEXTS.get(i)).content().vector();
            assertThat(cosine(ours[i], theirs)).as(TEXTS.get(i)).isGreaterThanOrEqualTo(0.999);
        }
    }

    @Test
    void batchGivesTheSameVectorsAsOneByOne() {
        float[][] batch = encoder.embed(encoder.tokenize(TEXTS));
        for (int i = 0; i < TEXTS.size(); i++) {
            float[] alone = encoder.embed(encoder.tokenize(List.of(TEXTS.get(i))))[0];
            assertThat(cosine(batch[i], alone)).as(TEXTS.get(i)).isGreaterThan(0.99999);
        }
    }

    @Test
    void vectorsAreUnitLengthWith384Dimensions() {
        for (float[] v : encoder.embed(encoder.tokenize(TEXTS))) {
            assertThat(v).hasSize(MiniLmEncoder.DIMENSIONS);
            assertThat(cosine(v, v)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
            double norm = 0;
            for (float x : v) {
                norm += x * x;
            }
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    @Test
    void similarSentencesScoreCloserThanUnrelatedOnes() {
        float[][] v = encoder.embed(encoder.tokenize(TEXTS));
        double catKitten = cosine(v[0], v[1]);
        assertThat(catKitten).isGreaterThan(cosine(v[0], v[2]));
        assertThat(catKitten).isGreaterThan(cosine(v[0], v[5]));
        assertThat(cosine(v[3], v[4])).isLessThan(catKitten);
    }

    @Test
    void tokenizerDoesNotTruncateLongTextsSoTheyCanBeRefused() {
        String longText = "word ".repeat(700);
        long[] tokens = encoder.tokenize(List.of(longText))[0];
        assertThat(tokens.length).isGreaterThan(MiniLmEncoder.MAX_TOKENS);
    }
}
