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
}
