package io.micromesh.engines.audio;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WordErrorRateTest {

    @Test
    void editsCountedByHand() {
        assertThat(WordErrorRate.of("the cat sat", "the cat sat")).isZero();
        // one substitution of four reference words
        assertThat(WordErrorRate.of("the dog sat down", "the cat sat down")).isEqualTo(0.25);
        // one deletion and one insertion of four
        assertThat(WordErrorRate.of("cat sat down now", "the cat sat down")).isEqualTo(0.5);
        assertThat(WordErrorRate.of("The, CAT! didn't", "the cat didn't")).isZero();
    }
}
