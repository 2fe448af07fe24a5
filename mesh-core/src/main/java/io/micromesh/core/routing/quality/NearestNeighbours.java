package io.micromesh.core.routing.quality;

import java.util.Arrays;
import java.util.List;

/**
 * Predicts the chance that the weak model answers a prompt well from the outcomes of the most
 * similar training prompts: the mean weak outcome of the {@code k} nearest neighbours by cosine
 * similarity of their embeddings, weighted by similarity, shrunk toward the overall weak accuracy
 * by a prior worth {@value #PRIOR_WEIGHT} neighbours (so that a prompt far from everything gets the
 * base rate). Immutable and thread-safe.
 */
public final class NearestNeighbours {

    static final double PRIOR_WEIGHT = 2.0;

    private final float[][] vectors;
    private final boolean[] weak;
    private final int k;
    private final double prior;

    /**
     * @param vectors unit-length embeddings of the training prompts
     * @param training their outcomes, in the same order
     * @param k       neighbours that vote
     */
    public NearestNeighbours(float[][] vectors, List<LabelledPrompt> training, int k) {
        if (vectors.length != training.size() || vectors.length == 0) {
            throw new IllegalArgumentException(vectors.length + " vectors for " + training.size() + " prompts");
        }
        this.vectors = vectors;
        this.weak = new boolean[training.size()];
        for (int i = 0; i < weak.length; i++) {
            weak[i] = training.get(i).weak();
        }
        this.k = Math.max(1, Math.min(k, vectors.length));
        this.prior = CostQualityCurve.weakAccuracy(training);
    }

    /** The predicted chance that the weak model answers the prompt of this (unit-length) embedding well. */
    public double weakSuccess(float[] query) {
        double[] similarity = new double[vectors.length];
        Integer[] index = new Integer[vectors.length];
        for (int i = 0; i < vectors.length; i++) {
            double dot = 0;
            for (int d = 0; d < query.length; d++) {
                dot += query[d] * vectors[i][d];
            }
            similarity[i] = dot;
            index[i] = i;
        }
        Arrays.sort(index, (a, b) -> Double.compare(similarity[b], similarity[a]));
        double weighted = PRIOR_WEIGHT * prior;
        double weights = PRIOR_WEIGHT;
        for (int n = 0; n < k; n++) {
            int i = index[n];
            double w = Math.max(0, similarity[i]);
            weighted += w * (weak[i] ? 1 : 0);
            weights += w;
        }
        return weighted / weights;
    }
}
