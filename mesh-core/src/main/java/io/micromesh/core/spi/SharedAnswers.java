package io.micromesh.core.spi;

import io.micromesh.core.cache.AnswerCache;
import io.micromesh.core.cache.CacheKey;
import java.time.Instant;
import java.util.Optional;

/**
 * The response cache's tier in the gateway's store, which gateways sharing the store share: an answer
 * one computed is a hit for the others ({@code cache: { store: true }}). Implementations are
 * thread-safe and may fail with the store's exception; the cache then serves from memory alone.
 */
public interface SharedAnswers {

    /** The answer stored for {@code key}, unless it expired. */
    Optional<AnswerCache.Stored> get(CacheKey key);

    /** Stores an answer until {@code expires}, replacing one stored for the same key. */
    void put(CacheKey key, AnswerCache.Stored stored, Instant expires);
}
