package io.micromesh.core.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.micromesh.core.spi.Embeddings;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class SoftmaxRegressionTest {

    private static float[] unit(double... values) {
        double norm = Math.sqrt(java.util.Arrays.stream(values).map(v -> v * v).sum());
        float[] x = new float[values.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (values[i] / norm);
        }
        return x;
    }

    @Test
    void aTextWhoseNearestExampleIsOfTheOtherClassGoesWhereTheDirectionThatTellsThemApartPoints() {
        // both classes share dimension 0; A is +1, B is -1 in dimension 1; each class's two examples
        // differ in a dimension of their own (3 for A, 2 for B). The text leans to A in dimension 1
        // but shares B's first example's dimension 2, which makes that example its nearest
        float[] a1 = unit(1, .5, 0, .6);
        float[] a2 = unit(1, .5, 0, -.6);
        float[] b1 = unit(1, -.5, .8, 0);
        float[] b2 = unit(1, -.5, -.8, 0);
        float[] text = unit(1, .2, .9, 0);
        assertThat(Embeddings.dot(text, b1)).isGreaterThan(Math.max(Embeddings.dot(text, a1), Embeddings.dot(text, a2)) + 0.2);

        SoftmaxRegression model = SoftmaxRegression.fit(List.of(a1, a2, b1, b2), new int[] {0, 0, 1, 1}, 2);

        double[] p = model.probabilities(text);
        assertThat(p[0]).isGreaterThan(0.8);
        assertThat(p[0] + p[1]).isCloseTo(1, within(1e-9));
    }

    @Test
    void unseenPointsAroundEachOfFiveClassesAreTold() {
        Random random = new Random(3);
        int classes = 5;
        int dimensions = 32;
        List<float[]> centres = random.ints(classes).mapToObj(i -> noisy(new float[dimensions], 1, random)).toList();
        List<float[]> rows = new java.util.ArrayList<>();
        int[] labels = new int[classes * 6];
        for (int r = 0; r < labels.length; r++) {
            labels[r] = r % classes;
            rows.add(noisy(centres.get(labels[r]), 0.6, random));
        }
        SoftmaxRegression model = SoftmaxRegression.fit(rows, labels, classes);
        int right = 0;
        for (int t = 0; t < 200; t++) {
            int c = t % classes;
            double[] p = model.probabilities(noisy(centres.get(c), 0.6, random));
            int best = 0;
            for (int i = 1; i < classes; i++) {
                best = p[i] > p[best] ? i : best;
            }
            right += best == c ? 1 : 0;
        }
        assertThat(right).isGreaterThanOrEqualTo(190);
    }

    /** A unit vector: {@code centre} plus Gaussian noise of this scale in each dimension. */
    private static float[] noisy(float[] centre, double scale, Random random) {
        double[] x = new double[centre.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = centre[i] + scale * random.nextGaussian() / Math.sqrt(centre.length);
        }
        return unit(x);
    }

    @Test
    void aClassWithFewRowsIsNotSwallowedByOneWithMany() {
        // thirty rows around one axis, two around another: a text halfway between them is not given
        // to the larger class for its size (weighing rows equally put it there with probability 1.0)
        Random random = new Random(1);
        List<float[]> rows = new java.util.ArrayList<>();
        int[] labels = new int[32];
        for (int r = 0; r < 32; r++) {
            labels[r] = r < 30 ? 0 : 1;
            rows.add(unit(labels[r] == 0 ? 1 : 0, labels[r] == 1 ? 1 : 0, 0 + 0.1 * random.nextGaussian()));
        }
        double[] halfway = SoftmaxRegression.fit(rows, labels, 2).probabilities(unit(1, 1, 0));
        assertThat(halfway[1]).isBetween(0.3, 0.7);
    }

    @Test
    void theFitIsDeterministic() {
        List<float[]> rows = List.of(unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1), unit(1, 1, 0));
        int[] labels = {0, 1, 2, 1};
        float[] text = unit(1, 2, 3);
        assertThat(SoftmaxRegression.fit(rows, labels, 3).probabilities(text))
                .containsExactly(SoftmaxRegression.fit(rows, labels, 3).probabilities(text));
    }

    @Test
    void rowsAndLabelsMustAgree() {
        assertThatThrownBy(() -> SoftmaxRegression.fit(List.of(unit(1, 0)), new int[] {0, 1}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 rows, 2 labels");
        assertThatThrownBy(() -> SoftmaxRegression.fit(List.of(unit(1, 0)), new int[] {2}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 2 is not one of 2 classes");
    }
}
