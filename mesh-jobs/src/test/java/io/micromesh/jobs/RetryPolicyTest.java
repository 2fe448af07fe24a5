package io.micromesh.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final RetryPolicy policy = RetryPolicy.of(5);

    /** Regression (issue 15): the back-off said "full jitter" but drew between half the window and the window. */
    @Test
    void fullJitterDrawsFromZeroToTheWholeWindow() {
        SplittableRandom random = new SplittableRandom(15);
        long[] third = IntStream.range(0, 2000).mapToLong(i -> policy.delay(3, Optional.empty(), random).toMillis()).toArray();
        assertThat(java.util.Arrays.stream(third).min().orElseThrow()).isGreaterThanOrEqualTo(0);
        assertThat(java.util.Arrays.stream(third).max().orElseThrow()).isLessThanOrEqualTo(2000);
        // uniform over [0, 2000]: about a quarter below 500 ms, which "half the cap up to the cap" never gave
        assertThat(IntStream.range(0, third.length).filter(i -> third[i] < 500).count()).isBetween(400L, 600L);
        assertThat(IntStream.range(0, third.length).filter(i -> third[i] > 1500).count()).isBetween(400L, 600L);
    }

    @Test
    void theWindowDoublesPerAttemptUpToTheCap() {
        SplittableRandom random = new SplittableRandom(1);
        for (int attempt = 1; attempt <= 12; attempt++) {
            long window = Math.min(30_000, 500L << (attempt - 1));
            int a = attempt;
            long max = IntStream.range(0, 500).mapToLong(i -> policy.delay(a, Optional.empty(), random).toMillis()).max()
                    .orElseThrow();
            assertThat(max).as("attempt %d", attempt).isLessThanOrEqualTo(window).isGreaterThan(window * 9 / 10);
        }
    }

    @Test
    void neverWaitsLessThanARetryAfterAndNeverLongerThanFiveMinutesForOne() {
        SplittableRandom random = new SplittableRandom(2);
        assertThat(IntStream.range(0, 200).mapToObj(i -> policy.delay(1, Optional.of(Duration.ofSeconds(3)), random)))
                .allSatisfy(d -> assertThat(d).isEqualTo(Duration.ofSeconds(3)));
        assertThat(policy.delay(1, Optional.of(Duration.ofHours(2)), random)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void countsAttempts() {
        assertThat(policy.retries(4)).isTrue();
        assertThat(policy.retries(5)).isFalse();
        assertThatThrownBy(() -> RetryPolicy.of(0)).hasMessageContaining("at least 1");
    }
}
