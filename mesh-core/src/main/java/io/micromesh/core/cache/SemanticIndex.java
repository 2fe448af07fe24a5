package io.micromesh.core.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Where a semantic cache finds an answer for a request whose last user message is worded
 * differently: the embeddings of the last user messages of stored answers, grouped by everything
 * else of their requests (the "rest": system prompt, tools, model, parameters, earlier turns, scope),
 * so that only requests identical but for that message are compared. A group keeps its newest
 * {@value #PER_GROUP} messages and lives as long as its newest answer; an answer that expired from
 * the {@link AnswerCache} is simply not found there. Comparison is a linear scan of one group's
 * unit vectors (a dot product each): groups are small by construction. Thread-safe.
 */
public final class SemanticIndex {

    /** Messages compared per group at most (the newest). */
    static final int PER_GROUP = 256;

    /** A stored answer's last user message, embedded, and the exact key of the answer. */
    record Entry(float[] vector, CacheKey answer) {
    }

    /**
     * The nearest stored message.
     *
     * @param answer     the exact key of its answer
     * @param similarity its cosine similarity to the request's message
     */
    public record Nearest(CacheKey answer, double similarity) {
    }

    private final Cache<String, Deque<Entry>> groups;

    /**
     * @param maxGroups groups kept at most
     * @param ttl       how long a group is kept after its last addition
     */
    public SemanticIndex(long maxGroups, Duration ttl, Clock clock) {
        this.groups = Caffeine.newBuilder().maximumSize(maxGroups).expireAfterWrite(ttl)
                .ticker(() -> clock.millis() * 1_000_000L).executor(Runnable::run).build();
    }

    /** The stored message nearest to {@code vector} in the request's group, at least {@code threshold} similar. */
    public Optional<Nearest> nearest(String group, float[] vector, double threshold) {
        Deque<Entry> entries = groups.getIfPresent(group);
        if (entries == null) {
            return Optional.empty();
        }
        Nearest best = null;
        synchronized (entries) {
            for (Entry entry : entries) {
                double similarity = dot(vector, entry.vector());
                if (similarity >= threshold && (best == null || similarity > best.similarity())) {
                    best = new Nearest(entry.answer(), similarity);
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** Adds a stored answer's message to its group. */
    public void add(String group, float[] vector, CacheKey answer) {
        Deque<Entry> entries = groups.get(group, g -> new ArrayDeque<>());
        synchronized (entries) {
            entries.addFirst(new Entry(vector, answer));
            while (entries.size() > PER_GROUP) {
                entries.removeLast();
            }
        }
        groups.put(group, entries);  // a write: the group lives as long as its newest answer
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
