package io.micromesh.core.routing.quality;

import io.micromesh.core.learn.Logistic;
import io.micromesh.core.spi.Embeddings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Predicts, for a prompt, each model's chance of answering it well, from the outcomes of similar
 * prompts (their embeddings' cosine similarity). Two neighbourhoods vote for each model: the
 * {@code k} nearest prompts with an outcome for it (what is known about prompts like this one) and
 * the {@code 10k} nearest (the kind of prompt: its topic's difficulty); each is a similarity-weighted
 * mean of scores, shrunk toward the model's overall mean by a prior worth {@value #PRIOR_WEIGHT}
 * prompts. A small logistic model per model, fitted on held-out votes of the memory itself, weighs
 * the two votes and the nearest similarity into the prediction (measured on MMLU: about 2-3 points
 * of strong share better than either vote alone, docs/benchmarks.md); until a model has
 * {@value #MIN_CALIBRATION} outcomes the mean of the two votes stands in.
 *
 * <p>Immutable and thread-safe; {@link #with} returns a predictor that also knows one more outcome,
 * sharing the vectors of this one. Scores are in [0, 1]: 1 is a good answer, 0 a failure.
 */
public final class SuccessPredictor {

    /** The prediction for a model nothing is known about. */
    public static final double UNKNOWN = 0.5;

    static final double PRIOR_WEIGHT = 2.0;
    static final int MIN_CALIBRATION = 50;
    /** Prompts whose held-out votes fit the logistic models, at most: the fit scans the memory once per prompt. */
    static final int CALIBRATION_SAMPLE = 2000;

    private final List<String> models;
    private final int k;
    private final List<float[]> vectors;
    /** Per prompt and model: [sum of scores, count]; null where the model has no outcome. */
    private final List<double[][]> scores;
    private final Map<String, Integer> byText;
    private final List<String> texts;
    private final double[][] calibration;

    private SuccessPredictor(List<String> models, int k, List<String> texts, List<float[]> vectors,
                             List<double[][]> scores, double[][] calibration) {
        this.models = List.copyOf(models);
        this.k = k;
        this.texts = texts;
        this.vectors = vectors;
        this.scores = scores;
        this.calibration = calibration;
        this.byText = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            byText.put(texts.get(i), i);
        }
    }

    /** A predictor that knows nothing yet: every model gets {@link #UNKNOWN}. */
    public static SuccessPredictor empty(List<String> models, int k) {
        if (models.isEmpty() || k < 1) {
            throw new IllegalArgumentException("models " + models + ", k " + k);
        }
        return new SuccessPredictor(models, k, List.of(), List.of(), List.of(), new double[models.size()][]);
    }

    /**
     * One model's outcome on one prompt.
     *
     * @param text   the prompt (what the router embeds of it)
     * @param vector its unit-length embedding
     * @param model  the model's id
     * @param score  1 for a good answer, 0 for a failure, or between
     */
    public record Outcome(String text, float[] vector, String model, double score) {
    }

    /** A predictor trained on outcomes, calibrated. Outcomes of models not in {@code models} are ignored. */
    public static SuccessPredictor train(List<String> models, int k, List<Outcome> outcomes) {
        SuccessPredictor empty = empty(models, k);
        List<String> texts = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        List<double[][]> scores = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        for (Outcome o : outcomes) {
            int m = models.indexOf(o.model());
            if (m < 0) {
                continue;
            }
            checkScore(o.score());
            Integer at = index.get(o.text());
            if (at == null) {
                at = texts.size();
                index.put(o.text(), at);
                texts.add(o.text());
                vectors.add(o.vector());
                scores.add(new double[models.size()][]);
            }
            double[][] row = scores.get(at);
            row[m] = row[m] == null ? new double[] {o.score(), 1} : new double[] {row[m][0] + o.score(), row[m][1] + 1};
        }
        return new SuccessPredictor(empty.models, k, texts, vectors, scores, empty.calibration).calibrated();
    }

    private static void checkScore(double score) {
        if (!(score >= 0 && score <= 1)) {
            throw new IllegalArgumentException("a score is from 0 to 1, got " + score);
        }
    }

    /** The models predicted for, in order. */
    public List<String> models() {
        return models;
    }

    /** The number of distinct prompts with outcomes. */
    public int size() {
        return texts.size();
    }

    /** The number of outcomes known for a model. */
    public int outcomes(String model) {
        int m = models.indexOf(model);
        return m < 0 ? 0 : (int) scores.stream().filter(s -> s[m] != null).mapToDouble(s -> s[m][1]).sum();
    }

    /**
     * A predictor that also knows the outcome {@code score} of {@code model} on a prompt (its text
     * identifies it: outcomes of the same text are averaged). Outcomes of models not predicted for
     * are ignored. Logistic models are not refitted: call {@link #calibrated} for that.
     */
    public SuccessPredictor with(String text, float[] vector, String model, double score) {
        int m = models.indexOf(model);
        if (m < 0) {
            return this;
        }
        checkScore(score);
        List<String> newTexts = new ArrayList<>(texts);
        List<float[]> newVectors = new ArrayList<>(vectors);
        List<double[][]> newScores = new ArrayList<>(scores);
        Integer at = byText.get(text);
        double[][] row;
        if (at == null) {
            newTexts.add(text);
            newVectors.add(vector);
            row = new double[models.size()][];
            newScores.add(row);
        } else {
            row = scores.get(at).clone();
            newScores.set(at, row);
        }
        row[m] = row[m] == null ? new double[] {score, 1} : new double[] {row[m][0] + score, row[m][1] + 1};
        return new SuccessPredictor(models, k, newTexts, newVectors, newScores, calibration);
    }

    /** Each model's predicted chance of success on the prompt of this unit-length embedding, in {@link #models()} order. */
    public double[] predict(float[] query) {
        double[] result = new double[models.size()];
        double[][] votes = votes(query, -1);
        for (int m = 0; m < result.length; m++) {
            result[m] = votes[m] == null ? UNKNOWN : combine(calibration[m], votes[m]);
        }
        return result;
    }

    /**
     * The same memory with each model's logistic weighing fitted anew on held-out votes (each
     * sampled prompt's votes computed without the prompt itself). Deterministic for a given memory.
     */
    public SuccessPredictor calibrated() {
        if (texts.isEmpty()) {
            return this;
        }
        double[][] fitted = new double[models.size()][];
        Random random = new Random(42);
        int[] sample = random.ints(0, texts.size()).distinct().limit(Math.min(CALIBRATION_SAMPLE, texts.size())).toArray();
        List<List<double[]>> features = new ArrayList<>();
        List<List<Double>> targets = new ArrayList<>();
        for (int m = 0; m < models.size(); m++) {
            features.add(new ArrayList<>());
            targets.add(new ArrayList<>());
        }
        for (int i : sample) {
            double[][] votes = votes(vectors.get(i), i);
            for (int m = 0; m < models.size(); m++) {
                double[] own = scores.get(i)[m];
                if (own != null && votes[m] != null) {
                    features.get(m).add(votes[m]);
                    targets.get(m).add(own[0] / own[1]);
                }
            }
        }
        for (int m = 0; m < models.size(); m++) {
            if (features.get(m).size() >= MIN_CALIBRATION) {
                fitted[m] = Logistic.fit(features.get(m), targets.get(m));
            }
        }
        return new SuccessPredictor(models, k, texts, vectors, scores, fitted);
    }

    /** This memory with the logistic weighing of another predictor of the same models. */
    public SuccessPredictor withCalibrationOf(SuccessPredictor other) {
        if (!other.models.equals(models)) {
            throw new IllegalArgumentException("predictors of other models");
        }
        return new SuccessPredictor(models, k, texts, vectors, scores, other.calibration);
    }

    private static double combine(double[] weights, double[] vote) {
        return weights == null ? (vote[0] + vote[1]) / 2 : Logistic.apply(weights, vote);
    }

    /**
     * Per model, its votes for the query: [near vote, wide vote, nearest similarity], or null when no
     * prompt has an outcome for it. {@code skip} is a memory index left out (for held-out votes).
     */
    private double[][] votes(float[] query, int skip) {
        int n = texts.size();
        double[][] votes = new double[models.size()][];
        if (n == 0) {
            return votes;
        }
        // sort by similarity, best first: the similarity's order-preserving int bits high, the index low
        long[] keyed = new long[n];
        float[] similarity = new float[n];
        for (int i = 0; i < n; i++) {
            similarity[i] = i == skip ? Float.NEGATIVE_INFINITY : (float) Embeddings.dot(query, vectors.get(i));
            int bits = Float.floatToIntBits(similarity[i]);
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff);  // signed int order = float order
            keyed[i] = ((long) ~ordered << 32) | i;            // descending similarity, then index
        }
        Arrays.sort(keyed);
        for (int m = 0; m < models.size(); m++) {
            double total = 0;
            double count = 0;
            for (double[][] row : scores) {
                if (row[m] != null) {
                    total += row[m][0];
                    count += row[m][1];
                }
            }
            if (count == 0) {
                continue;
            }
            double prior = total / count;
            double nearSum = PRIOR_WEIGHT * prior;
            double nearWeight = PRIOR_WEIGHT;
            double wideSum = PRIOR_WEIGHT * prior;
            double wideWeight = PRIOR_WEIGHT;
            double nearest = -1;
            int seen = 0;
            for (int r = 0; r < n && seen < 10 * k; r++) {
                int i = (int) keyed[r];
                double[] own = scores.get(i)[m];
                if (i == skip || own == null) {
                    continue;
                }
                double w = Math.max(0, similarity[i]);
                double mean = own[0] / own[1];
                if (seen == 0) {
                    nearest = similarity[i];
                }
                if (seen < k) {
                    nearSum += w * mean;
                    nearWeight += w;
                }
                wideSum += w * mean;
                wideWeight += w;
                seen++;
            }
            if (seen > 0) {
                votes[m] = new double[] {nearSum / nearWeight, wideSum / wideWeight, nearest};
            }
        }
        return votes;
    }
}
