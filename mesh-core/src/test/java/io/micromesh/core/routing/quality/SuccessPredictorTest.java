package io.micromesh.core.routing.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The predictor on two-dimensional "embeddings" whose neighbourhoods are known: prompts pointing
 * east are easy (every model succeeds), prompts pointing north are hard for the small model only.
 */
class SuccessPredictorTest {

    private static final List<String> MODELS = List.of("small", "medium", "large");

    private static float[] at(double degrees) {
        double r = Math.toRadians(degrees);
        return new float[] {(float) Math.cos(r), (float) Math.sin(r)};
    }

    private static List<SuccessPredictor.Outcome> outcomes(int perSide, Random random) {
        List<SuccessPredictor.Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < perSide; i++) {
            double east = random.nextGaussian() * 10;
            double north = 90 + random.nextGaussian() * 10;
            outcomes.add(new SuccessPredictor.Outcome("east " + i, at(east), "small", 1));
            outcomes.add(new SuccessPredictor.Outcome("east " + i, at(east), "large", 1));
            outcomes.add(new SuccessPredictor.Outcome("north " + i, at(north), "small", 0));
            outcomes.add(new SuccessPredictor.Outcome("north " + i, at(north), "large", 1));
        }
        return outcomes;
    }

    @Test
    void predictionsFollowTheOutcomesOfSimilarPrompts() {
        SuccessPredictor predictor = SuccessPredictor.train(MODELS, 5, outcomes(10, new Random(1)));
        double[] east = predictor.predict(at(3));
        double[] north = predictor.predict(at(88));
        assertThat(east[0]).as("small, east").isGreaterThan(0.75);
        assertThat(north[0]).as("small, north").isLessThan(0.3);
        assertThat(north[2]).as("large, north").isGreaterThan(0.75);
        assertThat(east[1]).as("medium: no outcomes").isEqualTo(SuccessPredictor.UNKNOWN);
        assertThat(predictor.outcomes("small")).isEqualTo(20);
        assertThat(predictor.size()).isEqualTo(20);
    }

    @Test
    void aPredictorWithoutOutcomesPredictsTheUnknownRateAndLearns() {
        SuccessPredictor empty = SuccessPredictor.train(MODELS, 5, List.of());
        assertThat(empty.predict(at(0))).containsExactly(0.5, 0.5, 0.5);
        assertThat(empty.with("east", at(0), "small", 0).predict(at(1))[0]).isLessThan(0.5);
    }

    @Test
    void aNewOutcomeChangesThePredictionAroundIt() {
        SuccessPredictor predictor = SuccessPredictor.train(MODELS, 5, outcomes(10, new Random(2)));
        double before = predictor.predict(at(225))[0];  // south-west: far from everything
        SuccessPredictor learned = predictor.with("south-west", at(225), "small", 0).with("south-west 2", at(230), "small", 0);
        assertThat(learned.predict(at(226))[0]).isLessThan(before - 0.2);
        assertThat(learned.predict(at(2))[0]).as("far away, little change").isGreaterThan(0.7);
        assertThat(predictor.predict(at(225))[0]).as("the original is unchanged").isEqualTo(before);
        // the same text again is averaged, not added as a new prompt
        assertThat(learned.with("south-west", at(225), "small", 1).size()).isEqualTo(learned.size());
    }

    @Test
    void theLogisticWeighingIsFittedOnceThereAreEnoughOutcomes() {
        SuccessPredictor few = SuccessPredictor.train(MODELS, 5, outcomes(10, new Random(3)));
        SuccessPredictor many = SuccessPredictor.train(MODELS, 5, outcomes(60, new Random(3)));
        // calibrated: sharper on the clear cases than the plain mean of the votes
        assertThat(many.predict(at(90))[0]).isLessThan(0.1);
        assertThat(many.predict(at(0))[0]).isGreaterThan(0.9);
        assertThat(few.predict(at(90))[0]).isGreaterThan(many.predict(at(90))[0]);
    }

    /** A random unit vector in 16 dimensions, plus {@code toward} (a unit axis, or -1) scaled by {@code pull}. */
    private static float[] vector(Random random, int toward, double pull) {
        float[] v = new float[16];
        double norm = 0;
        for (int d = 0; d < v.length; d++) {
            v[d] = (float) random.nextGaussian() + (d == toward ? (float) pull : 0);
            norm += v[d] * v[d];
        }
        for (int d = 0; d < v.length; d++) {
            v[d] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    /**
     * Outcomes that depend only on the prompt's task, never on what it says (the vectors are noise):
     * the predictor must lean on the task's prior, which validation inside the memory shows is what
     * predicts, and not on neighbours that carry no signal.
     */
    @Test
    void whenOnlyTheTaskPredictsThePriorIsTrusted() {
        Random random = new Random(3);
        List<SuccessPredictor.Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            String task = i % 2 == 0 ? "easy-task" : "hard-task";
            double rate = task.equals("easy-task") ? 0.9 : 0.2;
            outcomes.add(new SuccessPredictor.Outcome("p" + i, vector(random, -1, 0), "small", random.nextDouble() < rate ? 1 : 0, task));
        }
        SuccessPredictor predictor = SuccessPredictor.train(List.of("small"), 10, outcomes);
        double easy = 0;
        double hard = 0;
        double none = 0;
        for (int i = 0; i < 50; i++) {
            float[] query = vector(random, -1, 0);
            easy += predictor.predict(query, "easy-task")[0] / 50;
            hard += predictor.predict(query, "hard-task")[0] / 50;
            none += predictor.predict(query)[0] / 50;
        }
        assertThat(easy).as("easy task").isGreaterThan(0.75);
        assertThat(hard).as("hard task").isLessThan(0.35);
        assertThat(none).as("no task: the overall rate").isBetween(0.4, 0.7);
        assertThat(predictor.predict(vector(random, -1, 0), "a task never seen")[0]).as("unknown task: the overall rate")
                .isBetween(0.4, 0.7);
    }

    /**
     * Each task is one topic (a cluster of vectors), so a known task's prior predicts as well as the
     * neighbours do. A prompt of a task never seen has only its neighbours: it is weighed as by a
     * memory without tasks (a weighing fitted where the prior is informative would trust them too
     * little), and follows its topic.
     */
    @Test
    void aPromptOfAnUnknownTaskIsWeighedAsByAMemoryWithoutTasks() {
        Random random = new Random(9);
        List<SuccessPredictor.Outcome> tasked = new ArrayList<>();
        List<SuccessPredictor.Outcome> labelFree = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            boolean easyTopic = i % 2 == 0;
            float[] v = vector(random, easyTopic ? 0 : 1, 6);
            double score = random.nextDouble() < (easyTopic ? 0.9 : 0.1) ? 1 : 0;
            tasked.add(new SuccessPredictor.Outcome("p" + i, v, "small", score, easyTopic ? "easy-task" : "hard-task"));
            labelFree.add(new SuccessPredictor.Outcome("p" + i, v, "small", score));
        }
        SuccessPredictor withTasks = SuccessPredictor.train(List.of("small"), 10, tasked);
        SuccessPredictor withoutTasks = SuccessPredictor.train(List.of("small"), 10, labelFree);
        for (int i = 0; i < 20; i++) {
            float[] easy = vector(random, 0, 6);
            assertThat(withTasks.predict(easy, "a task never seen")).containsExactly(withoutTasks.predict(easy));
            assertThat(withTasks.predict(easy)).containsExactly(withoutTasks.predict(easy));
            assertThat(withTasks.predict(easy, "a task never seen")[0]).as("its topic is the easy one").isGreaterThan(0.75);
        }
    }

    /**
     * One task whose outcomes depend on the prompt's topic (two clusters of vectors): the task's
     * prior is the same for both, so the neighbours must decide.
     */
    @Test
    void whenTheTopicPredictsWithinATaskTheNeighboursAreTrusted() {
        Random random = new Random(4);
        List<SuccessPredictor.Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            boolean easyTopic = i % 2 == 0;
            double rate = easyTopic ? 0.95 : 0.05;
            outcomes.add(new SuccessPredictor.Outcome("p" + i, vector(random, easyTopic ? 0 : 1, 6), "small",
                    random.nextDouble() < rate ? 1 : 0, "one-task"));
        }
        SuccessPredictor predictor = SuccessPredictor.train(List.of("small"), 10, outcomes);
        double easy = 0;
        double hard = 0;
        for (int i = 0; i < 50; i++) {
            easy += predictor.predict(vector(random, 0, 6), "one-task")[0] / 50;
            hard += predictor.predict(vector(random, 1, 6), "one-task")[0] / 50;
        }
        assertThat(easy).as("easy topic").isGreaterThan(0.8);
        assertThat(hard).as("hard topic").isLessThan(0.2);
    }

    @Test
    void theMemoryIsBoundedAndForgetsTheOldestFirst() {
        List<SuccessPredictor.Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < 300; i++) {  // the first 150 point east and fail, the last 150 point east and succeed
            outcomes.add(new SuccessPredictor.Outcome("p" + i, at(i * 0.01), "small", i < 150 ? 0 : 1));
        }
        SuccessPredictor predictor = SuccessPredictor.train(List.of("small"), 5, 150, outcomes);
        assertThat(predictor.size()).isEqualTo(150);
        assertThat(predictor.predict(at(1))[0]).as("only the newer, successful outcomes are left").isGreaterThan(0.8);
        SuccessPredictor more = predictor;
        for (int i = 0; i < 150; i++) {
            more = more.with("new " + i, at(1 + i * 0.01), "small", 0);
        }
        assertThat(more.size()).isEqualTo(150);
        // refitted, as the route does in the background when outcomes have grown
        assertThat(more.calibrated().predict(at(1))[0]).as("the failures learned since pushed the successes out").isLessThan(0.2);
    }

    @Test
    void learningOutcomesOneByOneKeepsThePriorsOfWhatIsRemembered() {
        // outcomes of three tasks, some prompts learned twice, a memory of 40 that forgets the oldest:
        // learned one at a time (the priors' sums kept per outcome), the predictions are those of a
        // predictor trained at once on what is remembered
        Random random = new Random(8);
        List<SuccessPredictor.Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            String task = List.of("easy", "hard", "mixed").get(i % 3);
            double p = task.equals("easy") ? 0.9 : task.equals("hard") ? 0.1 : 0.5;
            String text = "p" + i;
            float[] v = at(random.nextDouble() * 360);
            outcomes.add(new SuccessPredictor.Outcome(text, v, "small", random.nextDouble() < p ? 1 : 0, task));
            outcomes.add(new SuccessPredictor.Outcome(text, v, "large", random.nextDouble() < p + 0.1 ? 1 : 0, task));
            if (i % 7 == 0) {  // learned again while still remembered
                outcomes.add(new SuccessPredictor.Outcome(text, v, "small", 1, task));
            }
        }
        outcomes.add(new SuccessPredictor.Outcome("only", at(3), "small", 0, "forgotten-task"));
        for (int i = 0; i < 45; i++) {  // pushes the prompt of "forgotten-task" out
            outcomes.add(new SuccessPredictor.Outcome("late" + i, at(i * 8), "small", i % 2, "mixed"));
        }
        SuccessPredictor learned = SuccessPredictor.empty(MODELS, 5, 40);
        for (SuccessPredictor.Outcome o : outcomes) {
            learned = learned.with(o.text(), o.vector(), o.model(), o.score(), o.task());
        }
        SuccessPredictor trained = SuccessPredictor.train(MODELS, 5, 40, outcomes);
        learned = learned.withCalibrationOf(trained);
        assertThat(learned.size()).isEqualTo(40);
        assertThat(learned.outcomes("small")).isEqualTo(trained.outcomes("small"));
        for (String task : java.util.Arrays.asList("easy", "hard", "mixed", "forgotten-task", null)) {
            for (int degrees = 0; degrees < 360; degrees += 45) {
                assertThat(learned.predict(at(degrees), task)).as(task + " at " + degrees)
                        .containsExactly(trained.predict(at(degrees), task), org.assertj.core.data.Offset.offset(1e-9));
            }
        }
    }

    @Test
    void aDecisionSelectsItsNeighboursWithoutSortingTheMemory() {
        Random random = new Random(5);
        long[] keys = random.longs(5000).toArray();
        long[] sorted = keys.clone();
        java.util.Arrays.sort(sorted);
        assertThat(SuccessPredictor.smallest(keys, 300)).containsExactly(java.util.Arrays.copyOf(sorted, 300));
        assertThat(SuccessPredictor.smallest(keys, 5000)).containsExactly(sorted);
        // a memory far larger than the neighbours a decision needs (2 models x 10 x 5): the same answers
        SuccessPredictor predictor = SuccessPredictor.train(MODELS, 5, outcomes(600, new Random(6)));
        assertThat(predictor.predict(at(2))[0]).as("small, east").isGreaterThan(0.75);
        assertThat(predictor.predict(at(91))[0]).as("small, north").isLessThan(0.3);
    }
}
