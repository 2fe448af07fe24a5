package io.micromesh.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micromesh.core.config.RouteSpec;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A semantic route's threshold calibrated from its examples and unrelated text, on vectors whose scores are known. */
@Timeout(10)
class SemanticThresholdTest {

    /** Intent A: two examples 0.8 apart in cosine; intent B: two examples 0.6 apart. */
    private static final List<float[][]> INTENTS = List.of(
            new float[][] {{1, 0, 0}, {0.8f, 0.6f, 0}},
            new float[][] {{0, 0, 1}, {0, 0.8f, 0.6f}});

    @Test
    void theExamplesSetItWhenUnrelatedTextScoresLow() {
        // leave one out: 0.8, 0.8, 0.6, 0.6; their 10th percentile 0.6, less 0.05. The unrelated
        // sentence (0, 1, 0) scores 0.3 against A (the mean of its two examples) and 0.4 against B
        Router.Threshold t = Router.SemanticIndex.calibrate(INTENTS, List.of(new float[] {0, 1, 0}), 3);
        assertThat(t.source()).isEqualTo("calibrated");
        assertThat(t.value()).isCloseTo(0.55, within(1e-3));
        assertThat(t.detail()).contains("leave-one-out").contains("unrelated");
    }

    @Test
    void unrelatedTextThatScoresHighRaisesIt() {
        // a "background" sentence on top of intent A's first example scores (1 + 0.8) / 2 = 0.9, plus 0.02
        Router.Threshold t = Router.SemanticIndex.calibrate(INTENTS, List.of(new float[] {1, 0, 0}), 3);
        assertThat(t.value()).isCloseTo(0.92, within(1e-3));
    }

    @Test
    void withoutTwoExamplesToAnIntentTheDefaultStands() {
        Router.Threshold t = Router.SemanticIndex.calibrate(List.of(new float[][] {{1, 0, 0}}, new float[][] {{0, 1, 0}}),
                List.of(new float[] {0, 0, 1}), 3);
        assertThat(t.source()).isEqualTo("default");
        assertThat(t.value()).isEqualTo(RouteSpec.DEFAULT_THRESHOLD);
    }
}
