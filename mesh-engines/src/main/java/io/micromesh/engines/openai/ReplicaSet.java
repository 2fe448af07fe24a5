package io.micromesh.engines.openai;

import io.micromesh.core.dispatch.Admission;
import io.micromesh.core.dispatch.ReplicaGate;
import io.micromesh.core.MeshException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The replicas of one model and the choice among them: the affinity key's replica when it has room,
 * else the admitted replica with the shortest queue and the fewest requests in flight, ties broken
 * in rotation. Starts the probe of an ejected
 * replica whose back-off is over. Thread-safe.
 */
final class ReplicaSet {

    private final String model;
    private final boolean affinity;
    private final Affinity<Replica> owners = new Affinity<>(Replica::base);
    private final List<Replica> replicas;
    private final Clock clock;
    private final Executor probes;
    private final Predicate<Replica> probe;
    private final AtomicInteger rotation = new AtomicInteger();

    /**
     * @param affinity whether requests with an affinity key prefer their key's replica
     * @param probe   answers whether a replica is healthy again; runs on {@code probes}
     * @param probes  where probes run (virtual threads in production, the caller's thread in tests)
     */
    ReplicaSet(String model, List<Replica> replicas, boolean affinity, Clock clock, Executor probes,
               Predicate<Replica> probe) {
        this.model = model;
        this.affinity = affinity;
        this.replicas = List.copyOf(replicas);
        this.clock = clock;
        this.probes = probes;
        this.probe = probe;
    }

    List<Replica> replicas() {
        return replicas;
    }

    /** A place taken on a replica. */
    record Place(Replica replica, ReplicaGate.Permit permit) {
    }

    /**
     * Takes a place on the best replica not in {@code tried}: the affinity key's replica when it has
     * room, else the least loaded one with room, else it waits in the lane of the replica with the
     * shortest queue.
     *
     * @throws MeshException {@code UNAVAILABLE} when no replica is admitted, {@code QUEUE_FULL}
     *                          when the chosen queue is full, {@code DEADLINE_EXCEEDED} when the
     *                          request's deadline passes while it waits
     */
    Place acquire(Set<Replica> tried, Admission admission) {
        startDueProbes();
        int start = Math.floorMod(rotation.getAndIncrement(), replicas.size());
        List<Replica> candidates = new ArrayList<>(replicas.size());
        for (int i = 0; i < replicas.size(); i++) {
            Replica r = replicas.get((start + i) % replicas.size());
            if (!tried.contains(r) && r.admitted()) {
                candidates.add(r);
            }
        }
        if (candidates.isEmpty()) {
            throw noReplica(tried);
        }
        Replica chosen = null;
        if (affinity && admission.affinity() != null && candidates.size() > 1) {
            Replica preferred = owners.replicaOf(admission.affinity(), candidates);
            if (preferred.gate().hasRoom()) {
                chosen = preferred;
            }
        }
        if (chosen == null) {
            // a stable sort: among equally loaded replicas the rotation order decides
            candidates.sort(Comparator.comparingInt((Replica r) -> r.gate().queued()).thenComparingInt(r -> r.gate().inFlight()));
            chosen = candidates.getFirst();
        }
        return new Place(chosen, chosen.gate().acquire(admission));
    }

    void failed(Replica replica) {
        replica.failed(clock.instant());
    }

    private MeshException noReplica(Set<Replica> tried) {
        Instant now = clock.instant();
        Instant soonest = replicas.stream().filter(r -> !r.admitted()).map(Replica::ejectedUntil)
                .filter(t -> t != null).min(Instant::compareTo).orElse(now);
        Duration wait = Duration.between(now, soonest);
        long ejected = replicas.stream().filter(r -> !r.admitted()).count();
        String why = tried.isEmpty()
                ? "all " + replicas.size() + " replicas are ejected after repeated failures"
                : ejected + " of " + replicas.size() + " replicas are ejected and the others failed";
        return MeshException.unavailable("no healthy replica of model '" + model + "': " + why
                + "; the next probe is due in " + Math.max(0, wait.toSeconds()) + " s",
                wait.isNegative() || wait.isZero() ? Duration.ofSeconds(1) : wait);
    }

    private void startDueProbes() {
        Instant now = null;
        for (Replica r : replicas) {
            if (r.admitted()) {
                continue;  // the common case: no clock read, no lock
            }
            now = now == null ? clock.instant() : now;
            if (r.claimProbe(now)) {
                probes.execute(() -> {
                    boolean healthy;
                    try {
                        healthy = probe.test(r);
                    } catch (RuntimeException e) {
                        healthy = false;
                    }
                    if (healthy) {
                        r.probeSucceeded();
                    } else {
                        r.probeFailed(clock.instant());
                    }
                });
            }
        }
    }
}
