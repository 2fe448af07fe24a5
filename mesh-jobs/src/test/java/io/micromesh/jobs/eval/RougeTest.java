package io.micromesh.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RougeTest {

    private static final String TARGET = "The quick brown fox jumps over the lazy dog";
    private static final String PREDICTION = "The quick brown dog jumps on the log.";

    @Test
    void theRougeScoreReadmeExampleScoresAsPublished() {
        // rouge-score's README example; by hand: 6 of 8 predicted unigrams are in the 9-token target
        // ("the" twice), and the longest common subsequence is "the quick brown jumps the" (5)
        Rouge.Score one = Rouge.n(1, PREDICTION, TARGET);
        assertThat(one.precision()).isCloseTo(0.75, within(1e-9));
        assertThat(one.recall()).isCloseTo(6.0 / 9, within(1e-9));
        assertThat(one.f1()).isCloseTo(0.70588, within(1e-5));
        Rouge.Score l = Rouge.l(PREDICTION, TARGET);
        assertThat(l.precision()).isCloseTo(0.625, within(1e-9));
        assertThat(l.recall()).isCloseTo(5.0 / 9, within(1e-9));
        assertThat(l.f1()).isCloseTo(0.58824, within(1e-5));
    }

    @Test
    void bigramsAndClippingByHand() {
        // bigrams of the prediction: the-quick, quick-brown, brown-dog, dog-jumps, jumps-on, on-the, the-log;
        // in the target: the-quick, quick-brown → 2 of 7 predicted, 2 of 8 target bigrams
        Rouge.Score two = Rouge.n(2, PREDICTION, TARGET);
        assertThat(two.precision()).isCloseTo(2.0 / 7, within(1e-9));
        assertThat(two.recall()).isCloseTo(2.0 / 8, within(1e-9));
        // "the the the" against "the cat": one "the" counts, not three
        assertThat(Rouge.n(1, "the the the", "the cat").precision()).isCloseTo(1.0 / 3, within(1e-9));
    }

    @Test
    void tokensAreLowerCaseAlphanumericRuns() {
        assertThat(Rouge.tokens("#Person1#: I ' Ve been-there, 3:30!")).containsExactly("person1", "i", "ve", "been", "there",
                "3", "30");
        assertThat(Rouge.l("", "something").f1()).isZero();
        assertThat(Rouge.l("same words here", "same words here").f1()).isEqualTo(1.0);
    }
}
