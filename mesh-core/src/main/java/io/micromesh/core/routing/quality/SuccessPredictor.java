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
 * prompts (their embeddings' cosine similarity) and of prompts of the same task. A prompt may carry
 * a task (a label such as "mmlu-anatomy" or "legal", from {@code x-mesh-task} or a route's rules);
 * the task's prior is the model's mean score on the task's prompts, shrunk toward the model's
 * overall mean by {@value #TASK_PRIOR_WEIGHT} prompts' worth (the overall mean when the task is
 * unknown or absent). Two neighbourhoods vote for each model: the {@code k} nearest prompts with an
 * outcome for it (what is known about prompts like this one) and the {@code 10k} nearest (the kind
 * of prompt: its topic's difficulty); each is a similarity-weighted mean of scores, shrunk toward the
 * task's prior by a prior worth {@value #PRIOR_WEIGHT} prompts. A small logistic model per model,
 * fitted on votes held out from the memory itself (the neighbours without the prompt, the task prior
 * from the other folds, so that no prompt's own outcome is in its features), weighs the two votes,
 * the nearest similarity and the task prior into the prediction: how much neighbours are trusted
 * against the task is chosen by validation inside the training data. A prompt whose task is unknown
 * or absent is weighed by a second such model, fitted as if no prompt had a task (docs/routing.md:
 * on subjects never seen, the first one trusted the neighbours too little). Until a model has
 * {@value #MIN_CALIBRATION} outcomes the mean of the two votes stands in.
 *
 * <p>Immutable and thread-safe; {@link #with} returns a predictor that also knows one more outcome,
 * sharing the vectors of this one: it copies the memory's references and updates the priors' sums
 * by the one outcome (and the forgotten prompt), rather than summing and indexing the memory anew
 * (bench/predictor-scan.sh). Scores are in [0, 1]: 1 is a good answer, 0 a failure.
 */
public final class SuccessPredictor {

    /** The prediction for a model nothing is known about. */
    public static final double UNKNOWN = 0.5;

    static final double PRIOR_WEIGHT = 2.0;
    /** How many prompts' worth of the overall mean a task's prior starts from. */
    static final double TASK_PRIOR_WEIGHT = 10.0;
    /** Folds of the held-out task priors that the logistic models are fitted on. */
    static final int PRIOR_FOLDS = 5;
    /** The logistic models' inputs: the near vote, the wide vote, the nearest similarity, the task prior. */
    static final int FEATURES = 4;

    static final int MIN_CALIBRATION = 50;
    /** Prompts whose held-out votes fit the logistic models, at most: the fit scans the memory once per prompt. */
    static final int CALIBRATION_SAMPLE = 2000;

    private final List<String> models;
    private final int k;
    /** The most distinct prompts remembered: the oldest go first. */
    private final int capacity;
    private final List<float[]> vectors;
    /** Per prompt and model: [sum of scores, count]; null where the model has no outcome. */
    private final List<double[][]> scores;
    /**
     * Per prompt its text's hash code: {@link #with} finds a known prompt by scanning these (a few
     * microseconds for 20,000) where a map from text to index would be rebuilt per outcome.
     */
    private final int[] hashes;
    private final List<String> texts;
    /** Per prompt its task, or null. */
    private final List<String> tasks;
    /** Per model, the logistic weighing of its votes (null: the mean of the two votes stands in). */
    private final double[][] calibration;
    /**
     * The same fitted as if no prompt had a task, for prompts whose task is absent or unknown: a
     * weighing fitted where the task's prior is informative trusts the neighbours too little where
     * it is not. Null when the memory knows no task (the two would be one).
     */
    private final double[][] calibrationWithoutTask;
    private final Sums sums;

    private SuccessPredictor(List<String> models, int k, int capacity, List<String> texts, List<String> tasks,
                             List<float[]> vectors, List<double[][]> scores, int[] hashes, Sums sums, double[][] calibration,
                             double[][] calibrationWithoutTask) {
        this.models = List.copyOf(models);
        this.k = k;
        this.capacity = capacity;
        this.texts = texts;
        this.tasks = tasks;
        this.vectors = vectors;
        this.scores = scores;
        this.hashes = hashes;
        this.sums = sums;
        this.calibration = calibration;
        this.calibrationWithoutTask = calibrationWithoutTask;
    }

    /**
     * Per model, the sum and count of all its scores ({@code overall[0]}, {@code overall[1]}); per
     * task, the same for the task's prompts: a decision's priors, kept up to date per outcome rather
     * than summed over the memory. Immutable: {@link #learned} returns new sums.
     */
    private record Sums(double[][] overall, Map<String, double[][]> byTask) {

        static Sums of(List<double[][]> scores, List<String> tasks, int models) {
            Sums sums = new Sums(new double[2][models], new HashMap<>());
            for (int i = 0; i < scores.size(); i++) {
                sums.add(tasks.get(i), scores.get(i), 1);
            }
            return sums;
        }

        /**
         * These sums with one outcome added (a row of scores of a prompt of task {@code task}) and,
         * when {@code forgotten} is not null, the row of the prompt the memory forgets taken away:
         * the map of tasks is copied once, and only the tasks that change get new arrays.
         */
        Sums learned(String task, double[][] added, String forgottenTask, double[][] forgotten) {
            Sums copy = new Sums(new double[][] {overall[0].clone(), overall[1].clone()}, new HashMap<>(byTask));
            for (String changed : new String[] {task, forgotten == null ? null : forgottenTask}) {
                double[][] ofTask = changed == null ? null : copy.byTask.get(changed);
                if (ofTask != null) {
                    copy.byTask.put(changed, new double[][] {ofTask[0].clone(), ofTask[1].clone()});
                }
            }
            copy.add(task, added, 1);
            if (forgotten != null) {
                copy.add(forgottenTask, forgotten, -1);
                if (forgottenTask != null && Arrays.stream(copy.byTask.get(forgottenTask)[1]).allMatch(count -> count == 0)) {
                    copy.byTask.remove(forgottenTask);  // its last prompt forgotten: a task name is not kept forever
                }
            }
            return copy;
        }

        /** Adds in place: only while building. */
        private void add(String task, double[][] row, int sign) {
            double[][] ofTask = task == null ? null : byTask.computeIfAbsent(task, t -> new double[2][overall[0].length]);
            for (int m = 0; m < row.length; m++) {
                if (row[m] != null) {
                    overall[0][m] += sign * row[m][0];
                    overall[1][m] += sign * row[m][1];
                    if (ofTask != null) {
                        ofTask[0][m] += sign * row[m][0];
                        ofTask[1][m] += sign * row[m][1];
                    }
                }
            }
        }
    }

    private static int[] hashes(List<String> texts) {
        return texts.stream().mapToInt(String::hashCode).toArray();
    }

    /** A predictor that knows nothing yet: every model gets {@link #UNKNOWN}. */
    public static SuccessPredictor empty(List<String> models, int k) {
        return empty(models, k, Integer.MAX_VALUE);
    }

    /** The same, remembering at most {@code capacity} distinct prompts. */
    public static SuccessPredictor empty(List<String> models, int k, int capacity) {
        if (models.isEmpty() || k < 1 || capacity < 1) {
            throw new IllegalArgumentException("models " + models + ", k " + k + ", capacity " + capacity);
        }
        return new SuccessPredictor(models, k, capacity, List.of(), List.of(), List.of(), List.of(), new int[0],
                Sums.of(List.of(), List.of(), models.size()), new double[models.size()][], null);
    }

    /**
     * One model's outcome on one prompt.
     *
     * @param text   the prompt (what the router embeds of it)
     * @param vector its unit-length embedding
     * @param model  the model's id
     * @param score  1 for a good answer, 0 for a failure, or between
     * @param task   the prompt's task, or null
     */
    public record Outcome(String text, float[] vector, String model, double score, String task) {

        /** An outcome of a prompt without a task. */
        public Outcome(String text, float[] vector, String model, double score) {
            this(text, vector, model, score, null);
        }
    }

    /** A predictor trained on outcomes, calibrated. Outcomes of models not in {@code models} are ignored. */
    public static SuccessPredictor train(List<String> models, int k, List<Outcome> outcomes) {
        return train(models, k, Integer.MAX_VALUE, outcomes);
    }

    /** The same, remembering at most {@code capacity} distinct prompts: the last ones of {@code outcomes}. */
    public static SuccessPredictor train(List<String> models, int k, int capacity, List<Outcome> outcomes) {
        SuccessPredictor empty = empty(models, k, capacity);
        List<String> texts = new ArrayList<>();
        List<String> tasks = new ArrayList<>();
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
                tasks.add(o.task());
                vectors.add(o.vector());
                scores.add(new double[models.size()][]);
            }
            double[][] row = scores.get(at);
            row[m] = row[m] == null ? new double[] {o.score(), 1} : new double[] {row[m][0] + o.score(), row[m][1] + 1};
        }
        int drop = Math.max(0, texts.size() - capacity);
        List<String> kept = texts.subList(drop, texts.size());
        List<String> keptTasks = tasks.subList(drop, tasks.size());
        List<double[][]> keptScores = scores.subList(drop, scores.size());
        return new SuccessPredictor(empty.models, k, capacity, kept, keptTasks, vectors.subList(drop, vectors.size()), keptScores,
                hashes(kept), Sums.of(keptScores, keptTasks, models.size()), empty.calibration, null).calibrated();
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
        return with(text, vector, model, score, null);
    }

    /** The same, for a prompt of a task (null: none); a prompt known already keeps its task. */
    public SuccessPredictor with(String text, float[] vector, String model, double score, String task) {
        int m = models.indexOf(model);
        if (m < 0) {
            return this;
        }
        checkScore(score);
        List<String> newTexts = new ArrayList<>(texts);
        List<String> newTasks = new ArrayList<>(tasks);
        List<float[]> newVectors = new ArrayList<>(vectors);
        List<double[][]> newScores = new ArrayList<>(scores);
        int at = indexOf(text);
        double[][] row;
        int[] newHashes;
        String rowTask;
        if (at < 0) {
            newTexts.add(text);
            newTasks.add(task);
            newVectors.add(vector);
            row = new double[models.size()][];
            newScores.add(row);
            newHashes = Arrays.copyOf(hashes, hashes.length + 1);
            newHashes[hashes.length] = text.hashCode();
            rowTask = task;
        } else {
            row = scores.get(at).clone();
            newScores.set(at, row);
            newHashes = hashes;
            rowTask = tasks.get(at);
        }
        row[m] = row[m] == null ? new double[] {score, 1} : new double[] {row[m][0] + score, row[m][1] + 1};
        double[][] added = new double[models.size()][];
        added[m] = new double[] {score, 1};
        boolean full = newTexts.size() > capacity;  // then the oldest prompt is forgotten
        Sums newSums = sums.learned(rowTask, added, full ? newTasks.getFirst() : null, full ? newScores.getFirst() : null);
        if (full) {
            newTexts.removeFirst();
            newTasks.removeFirst();
            newVectors.removeFirst();
            newScores.removeFirst();
            newHashes = Arrays.copyOfRange(newHashes, 1, newHashes.length);
        }
        return new SuccessPredictor(models, k, capacity, newTexts, newTasks, newVectors, newScores, newHashes, newSums, calibration,
                calibrationWithoutTask);
    }

    /** The memory index of a prompt's text, or -1. */
    private int indexOf(String text) {
        int hash = text.hashCode();
        for (int i = 0; i < hashes.length; i++) {
            if (hashes[i] == hash && texts.get(i).equals(text)) {
                return i;
            }
        }
        return -1;
    }

    /** Each model's predicted chance of success on the prompt of this unit-length embedding, in {@link #models()} order. */
    public double[] predict(float[] query) {
        return predict(query, null);
    }

    /**
     * The same for a prompt of a task (null: none, or a task nothing is known of: the overall means
     * stand in, weighed as if the memory knew no task).
     */
    public double[] predict(float[] query, String task) {
        double[] result = new double[models.size()];
        double[][] votes = votes(query, -1, priors(task, -1));
        boolean taskKnown = task != null && sums.byTask().containsKey(task);
        double[][] weighing = taskKnown || calibrationWithoutTask == null ? calibration : calibrationWithoutTask;
        for (int m = 0; m < result.length; m++) {
            result[m] = votes[m] == null ? UNKNOWN : combine(weighing[m], votes[m]);
        }
        return result;
    }

    /**
     * The same memory with each model's logistic weighing fitted anew on held-out votes (each
     * sampled prompt's votes computed without the prompt itself), with the prompts' tasks and, when
     * the memory knows tasks, once more without them. Deterministic for a given memory.
     */
    public SuccessPredictor calibrated() {
        if (texts.isEmpty()) {
            return this;
        }
        Random random = new Random(42);
        int[] sample = random.ints(0, texts.size()).distinct().limit(Math.min(CALIBRATION_SAMPLE, texts.size())).toArray();
        return new SuccessPredictor(models, k, capacity, texts, tasks, vectors, scores, hashes, sums, fit(sample, true),
                sums.byTask().isEmpty() ? null : fit(sample, false));
    }

    /** Per model, the logistic weighing fitted on the sampled prompts' held-out votes, with or without their tasks. */
    private double[][] fit(int[] sample, boolean withTasks) {
        List<List<double[]>> features = new ArrayList<>();
        List<List<Double>> targets = new ArrayList<>();
        for (int m = 0; m < models.size(); m++) {
            features.add(new ArrayList<>());
            targets.add(new ArrayList<>());
        }
        for (int i : sample) {
            double[][] votes = votes(vectors.get(i), i, priors(withTasks ? tasks.get(i) : null, i % PRIOR_FOLDS));
            for (int m = 0; m < models.size(); m++) {
                double[] own = scores.get(i)[m];
                if (own != null && votes[m] != null) {
                    features.get(m).add(Arrays.copyOf(votes[m], FEATURES));
                    targets.get(m).add(own[0] / own[1]);
                }
            }
        }
        double[][] fitted = new double[models.size()][];
        for (int m = 0; m < models.size(); m++) {
            if (features.get(m).size() >= MIN_CALIBRATION) {
                fitted[m] = Logistic.fit(features.get(m), targets.get(m));
            }
        }
        return fitted;
    }

    /** This memory with the logistic weighing of another predictor of the same models. */
    public SuccessPredictor withCalibrationOf(SuccessPredictor other) {
        if (!other.models.equals(models)) {
            throw new IllegalArgumentException("predictors of other models");
        }
        return new SuccessPredictor(models, k, capacity, texts, tasks, vectors, scores, hashes, sums, other.calibration,
                other.calibrationWithoutTask);
    }

    private static double combine(double[] weights, double[] vote) {
        return weights == null ? (vote[0] + vote[1]) / 2 : Logistic.apply(weights, Arrays.copyOf(vote, FEATURES));
    }

    /**
     * Per model, the prior of a task: its mean score on the task's prompts shrunk toward its overall
     * mean, or the overall mean without a task; NaN for a model without outcomes. With
     * {@code leaveFold} at least 0, the prompts of that fold (memory index modulo
     * {@value #PRIOR_FOLDS}) are left out of the task's figures, so that a held-out prompt's own
     * outcome is not in its prior.
     */
    private double[] priors(String task, int leaveFold) {
        double[][] ofTask = task == null ? null : sums.byTask().get(task);
        if (ofTask != null && leaveFold >= 0) {
            ofTask = withoutFold(task, ofTask, leaveFold);
        }
        double[] priors = new double[models.size()];
        for (int m = 0; m < priors.length; m++) {
            if (sums.overall()[1][m] == 0) {
                priors[m] = Double.NaN;
                continue;
            }
            double mean = sums.overall()[0][m] / sums.overall()[1][m];
            priors[m] = ofTask == null ? mean
                    : (ofTask[0][m] + TASK_PRIOR_WEIGHT * mean) / (ofTask[1][m] + TASK_PRIOR_WEIGHT);
        }
        return priors;
    }

    /** A task's sums and counts without its prompts of one fold (memory indexes {@code fold}, {@code fold + PRIOR_FOLDS} ...). */
    private double[][] withoutFold(String task, double[][] ofTask, int fold) {
        double[][] left = {ofTask[0].clone(), ofTask[1].clone()};
        for (int i = fold; i < scores.size(); i += PRIOR_FOLDS) {
            if (task.equals(tasks.get(i))) {
                double[][] row = scores.get(i);
                for (int m = 0; m < row.length; m++) {
                    if (row[m] != null) {
                        left[0][m] -= row[m][0];
                        left[1][m] -= row[m][1];
                    }
                }
            }
        }
        return left;
    }

    /**
     * Per model, its votes for the query: [near vote, wide vote, nearest similarity, task prior,
     * neighbours seen], or null when no prompt has an outcome for it. {@code skip} is a memory index
     * left out (for held-out votes).
     */
    private double[][] votes(float[] query, int skip, double[] priors) {
        int n = texts.size();
        if (n == 0) {
            return new double[models.size()][];
        }
        // by similarity, best first: the similarity's order-preserving int bits high, the index low
        long[] all = new long[n];
        float[] similarity = new float[n];
        for (int i = 0; i < n; i++) {
            similarity[i] = i == skip ? Float.NEGATIVE_INFINITY : (float) Embeddings.dot(query, vectors.get(i));
            int bits = Float.floatToIntBits(similarity[i]);
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff);  // signed int order = float order
            all[i] = ((long) ~ordered << 32) | i;              // descending similarity, then index
        }
        // the wide vote needs 10k neighbours with an outcome per model: select that many per model
        // rather than sort the whole memory, and sort it all only when sparse outcomes leave a model short
        int wanted = (int) Math.min(n, 10L * k * models.size());
        if (wanted < n && !sparse()) {
            double[][] votes = vote(smallest(all, wanted), similarity, skip, priors);
            if (!shortOfNeighbours(votes, priors)) {
                return votes;
            }
        }
        Arrays.sort(all);
        return vote(all, similarity, skip, priors);
    }

    /**
     * Whether a model has outcomes on fewer than 10k prompts' worth: its neighbours are all of them,
     * found only by going through the whole memory.
     */
    private boolean sparse() {
        for (int m = 0; m < models.size(); m++) {
            if (sums.overall()[1][m] > 0 && sums.overall()[1][m] < 10 * k) {
                return true;
            }
        }
        return false;
    }

    /** Whether a model with outcomes got fewer than 10k neighbours (its vote's count is kept in [4]). */
    private boolean shortOfNeighbours(double[][] votes, double[] priors) {
        for (int m = 0; m < models.size(); m++) {
            if (!Double.isNaN(priors[m]) && (votes[m] == null || votes[m][4] < 10 * k)) {
                return true;
            }
        }
        return false;
    }

    /** The {@code count} smallest keys, sorted: a bounded max-heap over the keys, O(n log count). */
    static long[] smallest(long[] keys, int count) {
        long[] heap = new long[count];
        int size = 0;
        for (long key : keys) {
            if (size < count) {
                int at = size++;
                heap[at] = key;
                while (at > 0 && heap[(at - 1) / 2] < heap[at]) {  // sift up
                    long t = heap[at];
                    heap[at] = heap[(at - 1) / 2];
                    heap[(at - 1) / 2] = t;
                    at = (at - 1) / 2;
                }
            } else if (key < heap[0]) {
                heap[0] = key;
                int at = 0;
                while (true) {  // sift down
                    int largest = at;
                    int left = 2 * at + 1;
                    int right = left + 1;
                    if (left < size && heap[left] > heap[largest]) {
                        largest = left;
                    }
                    if (right < size && heap[right] > heap[largest]) {
                        largest = right;
                    }
                    if (largest == at) {
                        break;
                    }
                    long t = heap[at];
                    heap[at] = heap[largest];
                    heap[largest] = t;
                    at = largest;
                }
            }
        }
        long[] sorted = Arrays.copyOf(heap, size);
        Arrays.sort(sorted);
        return sorted;
    }

    /** The votes from neighbours in order, best first; each vote also keeps how many neighbours it saw. */
    private double[][] vote(long[] keyed, float[] similarity, int skip, double[] priors) {
        double[][] votes = new double[models.size()][];
        for (int m = 0; m < models.size(); m++) {
            if (Double.isNaN(priors[m])) {
                continue;
            }
            double prior = priors[m];
            double nearSum = PRIOR_WEIGHT * prior;
            double nearWeight = PRIOR_WEIGHT;
            double wideSum = PRIOR_WEIGHT * prior;
            double wideWeight = PRIOR_WEIGHT;
            double nearest = -1;
            int seen = 0;
            for (int r = 0; r < keyed.length && seen < 10 * k; r++) {
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
                votes[m] = new double[] {nearSum / nearWeight, wideSum / wideWeight, nearest, priors[m], seen};
            }
        }
        return votes;
    }
}
