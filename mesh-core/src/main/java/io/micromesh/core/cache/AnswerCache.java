package io.micromesh.core.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.micromesh.core.accounting.EnergyMethod;
import io.micromesh.core.spi.Usage;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The gateway's store of answers, in memory: bounded both by the number of answers and by their
 * bytes, each answer kept for its model's or route's time to live, read on the injected clock.
 * Caffeine bounds by one weight only, so each answer weighs at least {@code maxBytes / maxEntries}:
 * the weights then stay under {@code maxBytes} only if there are at most {@code maxEntries} answers
 * and their bytes stay under {@code maxBytes}. Thread-safe.
 */
public final class AnswerCache {

    /** What an entry costs beyond its body: the key, the record and Caffeine's node (361 bytes measured, docs/benchmarks.md). */
    static final int OVERHEAD_BYTES = 400;

    /**
     * A stored answer.
     *
     * @param body     the answer as the client got it (chat completion JSON, micromesh's fields included)
     * @param model    the model that answered
     * @param method   how its energy was obtained
     * @param tokens   its prompt and completion tokens
     * @param costUsd  what it cost when computed, every attempt included
     * @param energyWh its energy when computed
     * @param ttl      how long it is kept
     */
    public record Stored(byte[] body, String model, EnergyMethod method, Usage tokens, double costUsd, double energyWh,
                         Duration ttl) {
    }

    private final Cache<CacheKey, Stored> answers;

    /**
     * @param maxEntries answers kept at most
     * @param maxBytes   their bytes at most (bodies and per-entry overhead)
     * @param clock      the time that expiries are read on
     */
    public AnswerCache(long maxEntries, long maxBytes, Clock clock) {
        if (maxEntries < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("a cache holds at least one entry and one byte");
        }
        long floor = Math.max(1, maxBytes / maxEntries);
        this.answers = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((CacheKey key, Stored stored) -> (int) Math.min(Integer.MAX_VALUE,
                        Math.max(floor, stored.body().length + OVERHEAD_BYTES)))
                .expireAfter(Expiry.creating((CacheKey key, Stored stored) -> stored.ttl()))
                .ticker(() -> clock.millis() * 1_000_000L)
                .executor(Runnable::run)  // eviction on the caller's thread: no background thread to race with tests
                .build();
    }

    /** The answer stored for {@code key}, unless it expired. */
    public Optional<Stored> get(CacheKey key) {
        return Optional.ofNullable(answers.getIfPresent(key));
    }

    /** Stores an answer, replacing one stored for the same key. */
    public void put(CacheKey key, Stored stored) {
        answers.put(key, stored);
    }

    /** Answers held now (approximately: expired ones leave at the next maintenance). */
    public long size() {
        answers.cleanUp();
        return answers.estimatedSize();
    }
}
