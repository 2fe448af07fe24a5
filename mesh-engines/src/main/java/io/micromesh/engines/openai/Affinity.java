package io.micromesh.engines.openai;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Which replica an affinity key (a session, a user, a long system prompt) belongs to: the first
 * time a key is seen, the replica that holds the fewest keys now; after that, the same one while it
 * is a candidate. Balanced by count rather than hashed: with a handful of long prompts per replica
 * — the case where prompt caches matter — hashing often puts three keys on one replica and one on
 * the other (measured in bench/prefix-affinity.sh: 3/1 for four sessions on two replicas, which
 * made affinity slower than none). The last {@value #KEYS} keys are remembered. Thread-safe.
 *
 * @param <R> a replica
 */
final class Affinity<R> {

    static final int KEYS = 65_536;

    private final Function<R, String> name;
    private final Map<String, String> owner = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            if (size() > KEYS) {
                held.merge(eldest.getValue(), -1, Integer::sum);
                return true;
            }
            return false;
        }
    };
    private final Map<String, Integer> held = new HashMap<>();

    Affinity(Function<R, String> name) {
        this.name = name;
    }

    /** The replica of {@code key} among {@code candidates} (assigning one when the key is new or its replica is not a candidate). */
    synchronized R replicaOf(String key, List<R> candidates) {
        String current = owner.get(key);
        if (current != null) {
            for (R r : candidates) {
                if (name.apply(r).equals(current)) {
                    return r;
                }
            }
            held.merge(current, -1, Integer::sum);
        }
        R least = candidates.getFirst();
        for (R r : candidates) {
            if (held.getOrDefault(name.apply(r), 0) < held.getOrDefault(name.apply(least), 0)) {
                least = r;
            }
        }
        owner.put(key, name.apply(least));
        held.merge(name.apply(least), 1, Integer::sum);
        return least;
    }
}
