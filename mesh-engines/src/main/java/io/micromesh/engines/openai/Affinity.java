package io.micromesh.engines.openai;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * Rendezvous (highest random weight) hashing of an affinity key over replicas: each key has one
 * preferred replica, and when a replica leaves or joins only the keys that preferred it move.
 */
final class Affinity {

    private Affinity() {
    }

    static <R> R replicaOf(String key, List<R> replicas, Function<R, String> name) {
        R best = null;
        long bestWeight = Long.MIN_VALUE;
        for (R r : replicas) {
            long weight = mix(hash(key) ^ hash(name.apply(r)));
            if (best == null || weight > bestWeight) {
                best = r;
                bestWeight = weight;
            }
        }
        return best;
    }

    /** FNV-1a, 64 bits: stable across runs and JVMs, unlike {@code String.hashCode} mixing. */
    private static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** A finaliser (splitmix64) so that nearby inputs spread over the whole range. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
