package io.micromesh.core.learn;

import io.micromesh.core.spi.Embeddings;
import java.util.List;

/**
 * Multinomial logistic regression on unit-length embeddings: which of a few classes a text belongs
 * to (a semantic route's intents). The logits are {@value #SCALE} times each class's weights dotted
 * with the embedding, plus its bias, fitted by {@value #ITERATIONS} steps of full-batch gradient
 * descent from zero with a small ridge: deterministic, and stopped early on purpose (the steps
 * regularise as much as the ridge; docs/routing.md has how they were chosen). Each class's rows
 * together weigh as much as any other class's. Hand-written for the reason {@link Logistic} is: a
 * few hundred rows of 384 numbers, fitted once when a route starts.
 *
 * <p>With a handful of examples per class it finds the directions that tell neighbouring classes
 * apart, which the nearest examples alone do not: two intents whose examples share most words
 * ("a fee on my order", "a charge on my card") are told apart by the words they do not share.
 * Immutable and thread-safe.
 */
public final class SoftmaxRegression {

    static final double SCALE = 5;
    static final double RIDGE = 1e-3;
    static final int ITERATIONS = 100;
    static final double STEP = 2;

    private final float[][] weights;
    private final double[] bias;

    private SoftmaxRegression(float[][] weights, double[] bias) {
        this.weights = weights;
        this.bias = bias;
    }

    /**
     * Fits the classes of rows.
     *
     * @param rows    unit-length embeddings, all of one length
     * @param labels  per row its class, from 0 to {@code classes - 1}
     * @param classes how many classes there are (each should have a row)
     */
    public static SoftmaxRegression fit(List<float[]> rows, int[] labels, int classes) {
        if (rows.isEmpty() || rows.size() != labels.length || classes < 1) {
            throw new IllegalArgumentException(rows.size() + " rows, " + labels.length + " labels, " + classes + " classes");
        }
        int n = rows.size();
        int d = rows.getFirst().length;
        // each class weighs as much as any other, however many rows it has: an intent with two
        // examples beside one with thirty is not swallowed by the bias toward the larger one
        int[] counts = new int[classes];
        for (int label : labels) {
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " is not one of " + classes + " classes");
            }
            counts[label]++;
        }
        double[] rowWeight = new double[classes];
        for (int c = 0; c < classes; c++) {
            rowWeight[c] = counts[c] == 0 ? 0 : n / (double) (classes * counts[c]);
        }
        float[][] w = new float[classes][d];
        double[] b = new double[classes];
        double[] p = new double[classes];
        float[][] gradient = new float[classes][d];
        for (int iteration = 0; iteration < ITERATIONS; iteration++) {
            double[] biasGradient = new double[classes];
            for (int r = 0; r < n; r++) {
                float[] x = rows.get(r);
                softmax(w, b, x, p);
                p[labels[r]] -= 1;  // the gradient of the cross-entropy in the logits: p minus the one-hot target
                double weight = rowWeight[labels[r]] / n;
                for (int c = 0; c < classes; c++) {
                    biasGradient[c] += weight * p[c];
                    float g = (float) (SCALE * weight * p[c]);
                    float[] row = gradient[c];
                    for (int j = 0; j < d; j++) {  // in floats, which the JIT does several at a time
                        row[j] += g * x[j];
                    }
                }
            }
            for (int c = 0; c < classes; c++) {
                for (int j = 0; j < d; j++) {
                    w[c][j] -= (float) (STEP * (gradient[c][j] + RIDGE * w[c][j]));
                    gradient[c][j] = 0;
                }
                b[c] -= STEP * biasGradient[c];
            }
        }
        return new SoftmaxRegression(w, b);
    }

    /** Each class's probability for an embedding, in class order. */
    public double[] probabilities(float[] x) {
        double[] p = new double[bias.length];
        softmax(weights, bias, x, p);
        return p;
    }

    private static void softmax(float[][] weights, double[] bias, float[] x, double[] into) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < into.length; c++) {
            into[c] = SCALE * Embeddings.dot(weights[c], x) + bias[c];
            max = Math.max(max, into[c]);
        }
        double sum = 0;
        for (int c = 0; c < into.length; c++) {
            into[c] = Math.exp(into[c] - max);
            sum += into[c];
        }
        for (int c = 0; c < into.length; c++) {
            into[c] /= sum;
        }
    }
}
