package io.micromesh.jobs;

import java.time.Duration;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * How a batch item is retried after a retriable failure (429, 5xx, a broken connection, a full
 * queue): at most {@code maxAttempts} attempts in all, waiting between them an exponential back-off
 * with <em>full jitter</em> — a uniform draw from zero up to {@code min(cap, base x 2^(attempt-1))},
 * which spreads the retries of many items over the whole window instead of bunching them at its
 * end — and never less than the {@code Retry-After} the gateway or a backend asked for.
 *
 * @param maxAttempts attempts per item, at least 1
 * @param base        the window of the first retry
 * @param cap         the largest window
 */
public record RetryPolicy(int maxAttempts, Duration base, Duration cap) {

    /** The most a {@code Retry-After} may make an item wait, so that a wrong hint cannot stall a job. */
    static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(5);

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("max attempts must be at least 1, got " + maxAttempts);
        }
        if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("the back-off needs 0 < base <= cap, got " + base + " and " + cap);
        }
    }

    /** {@code maxAttempts} attempts, windows of 0.5 s, 1 s, 2 s ... up to 30 s. */
    public static RetryPolicy of(int maxAttempts) {
        return new RetryPolicy(maxAttempts, Duration.ofMillis(500), Duration.ofSeconds(30));
    }

    /** Whether an item that failed retriably on attempt {@code attempt} (from 1) gets another. */
    public boolean retries(int attempt) {
        return attempt < maxAttempts;
    }

    /**
     * How long to wait after the failed attempt {@code attempt} (from 1).
     *
     * @param retryAfter what the failure asked for, if anything
     * @param random     the source of the jitter
     */
    public Duration delay(int attempt, Optional<Duration> retryAfter, RandomGenerator random) {
        long window = Math.min(cap.toMillis(), base.toMillis() << Math.min(Math.max(attempt - 1, 0), 30));
        long jittered = random.nextLong(window + 1);
        long asked = retryAfter.map(d -> Math.min(d.toMillis(), MAX_RETRY_AFTER.toMillis())).orElse(0L);
        return Duration.ofMillis(Math.max(jittered, asked));
    }
}
