package io.micromesh.core.routing.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** How two samples' agreement is measured for self-consistency. */
class AgreementTest {

    @Test
    void wordsAreComparedAsSetsIgnoringCaseAndPunctuation() {
        assertThat(AnswerVerifier.agreement("The answer is 12.", "the ANSWER is 12!")).isEqualTo(1.0);
        // {the, answer, is, 12} vs {the, answer, is, 7}: 3 shared of 5
        assertThat(AnswerVerifier.agreement("The answer is 12", "The answer is 7")).isCloseTo(0.6, within(1e-12));
        assertThat(AnswerVerifier.agreement("yes", "no")).isZero();
        assertThat(AnswerVerifier.agreement("", "")).isEqualTo(1.0);
    }

    @Test
    void jsonAnswersMustBeEqualAsJson() {
        assertThat(AnswerVerifier.agreement("{\"a\": 1, \"b\": [2]}", "{\"b\":[2],\"a\":1}")).isEqualTo(1.0);
        assertThat(AnswerVerifier.agreement("{\"a\": 1}", "{\"a\": 2}")).isZero();
    }
}
