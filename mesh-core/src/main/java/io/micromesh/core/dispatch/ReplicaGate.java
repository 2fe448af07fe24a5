package io.micromesh.core.dispatch;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.limit.VegasLimit;
import io.micromesh.core.MeshException;
import io.micromesh.core.MeshException.Failure;
import io.micromesh.core.spi.GateGauges;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The admission of one backend replica: at most {@link #limit()} requests in flight, the others
 * waiting in a bounded queue with one line per {@link Lane}. When a place frees, the highest lane
 * that waits takes it — except that a lower lane that waits earns its configured share of places
 * (credit of {@code share} per place given while it waits; a credit of one takes the next place),
 * so that no lane starves; and the lower lanes together never take the last places kept for
 * interactive requests ({@code interactiveShare} of the limit), so that a person's request finds a
 * place at once even during a burst of agent or batch work. A full queue refuses at once ({@code QUEUE_FULL}); a request whose
 * deadline passes while it waits leaves the queue ({@code DEADLINE_EXCEEDED}) without reaching the
 * replica.
 *
 * <p>The limit is adaptive by default: Netflix concurrency-limits' Vegas limit, fed each request's
 * latency per generated token, grows while that stays at its floor and shrinks when requests start
 * to queue in the replica, within {@code [minLimit, maxLimit]}. Vegas's periodic probe, which takes
 * the latency of the moment as the new floor, is turned off: taken under load, it adopted queueing
 * as the floor, and the limit of a replica that serves 16 at once drifted from 16 to 58 in a
 * simulation; without it the floor only moves down.
 *
 * <p>Thread-safe: waiters park their virtual threads on a future; one lock guards the counts and
 * queues, never held while waiting or calling out.
 */
public final class ReplicaGate implements GateGauges {

    /** A place in flight; release it exactly once when the request is over. */
    public final class Permit {
        private final long startNanos;
        private final int inFlightAtStart;
        private final Lane lane;
        private boolean released;

        private Permit(long startNanos, int inFlightAtStart, Lane lane) {
            this.startNanos = startNanos;
            this.inFlightAtStart = inFlightAtStart;
            this.lane = lane;
        }

        /**
         * Gives the place back.
         *
         * @param overloaded the replica said it was overloaded or timed out: the limit shrinks
         */
        public void release(boolean overloaded) {
            release(overloaded, 0);
        }

        /**
         * Gives the place back after a request that generated {@code tokens} tokens. The latency the
         * limit learns from is the time per generated token (plus one), so that long and short
         * answers are comparable: the whole time of a long answer is not a sign of queueing.
         *
         * @param overloaded the replica said it was overloaded or timed out: the limit shrinks
         */
        public void release(boolean overloaded, long tokens) {
            if (released) {
                return;
            }
            released = true;
            long rtt = (nanos.getAsLong() - startNanos) / (1 + Math.max(0, tokens));
            limit.onSample(startNanos, Math.max(1, rtt), inFlightAtStart, overloaded);
            lock.lock();
            try {
                inFlight--;
                if (lane != Lane.INTERACTIVE) {
                    lowerInFlight--;
                }
                grantWaiting();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Counters of one lane, for metrics. */
    public static final class LaneStats {
        private final AtomicLong waits = new AtomicLong();
        private final AtomicLong waitNanos = new AtomicLong();
        private final AtomicLong refused = new AtomicLong();
        private final AtomicLong expired = new AtomicLong();
        private volatile int queued;

        /** Requests of this lane admitted so far (those that waited and those that did not). */
        public long admitted() {
            return waits.get();
        }

        /** Their total time waiting, in seconds. */
        public double waitSeconds() {
            return waitNanos.get() / 1e9;
        }

        /** Requests refused because the queue was full. */
        public long refused() {
            return refused.get();
        }

        /** Requests whose deadline passed while they waited. */
        public long expired() {
            return expired.get();
        }

        /** Requests of this lane waiting now. */
        public int queued() {
            return queued;
        }
    }

    private static final class Waiter {
        final Lane lane;
        final CompletableFuture<Permit> granted = new CompletableFuture<>();

        Waiter(Lane lane) {
            this.lane = lane;
        }
    }

    /**
     * Vegas grows the limit while it estimates fewer than {@value #QUEUE_ALPHA} requests queued inside
     * the replica, shrinks it above {@value #QUEUE_BETA}, and moves a fifth of the way each sample.
     * The library's defaults (3 and 6 times log10 of the limit, no smoothing) left a stand-in that
     * serves 16 at once at a limit of 10-30 (median 25) and 91% of its throughput; these settle it
     * at 17-22 (median 19) with all of it (bench/dispatch.sh, docs/benchmarks.md).
     */
    private static final int QUEUE_ALPHA = 2;
    private static final int QUEUE_BETA = 4;
    private static final double SMOOTHING = 0.2;

    /** Vegas probes every {@code multiplier x limit} samples: this many is never in practice. */
    private static final int PROBE_NEVER = 1_000_000;

    private final String name;
    private final GateSettings settings;
    private final Limit limit;
    private final LongSupplier nanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Lane, ArrayDeque<Waiter>> queues = new EnumMap<>(Lane.class);
    private final Map<Lane, LaneStats> stats = new EnumMap<>(Lane.class);
    private final double[] credit = new double[Lane.values().length];
    private int inFlight;
    private int lowerInFlight;
    private int queued;

    /**
     * @param name     what metrics and the operator's log call the replica ({@code model@url}); a
     *                 client's error names only the model, the part before the last {@code @}
     * @param nanos    the time source ({@code System::nanoTime}; a fake one in tests)
     */
    public ReplicaGate(String name, GateSettings settings, LongSupplier nanos) {
        this.name = name;
        this.settings = settings;
        this.nanos = nanos;
        this.limit = settings.adaptive()
                ? VegasLimit.newBuilder().initialLimit(Math.min(settings.maxLimit(), Math.max(settings.minLimit(), 16)))
                        .maxConcurrency(settings.maxLimit()).probeMultiplier(PROBE_NEVER)
                        .alpha(QUEUE_ALPHA).beta(QUEUE_BETA).smoothing(SMOOTHING).build()
                : new FixedCeiling(settings.maxLimit());
        for (Lane lane : Lane.values()) {
            queues.put(lane, new ArrayDeque<>());
            stats.put(lane, new LaneStats());
        }
    }

    /** The replica's name. */
    @Override
    public String name() {
        return name;
    }

    private String model() {
        int at = name.lastIndexOf('@');
        return at < 0 ? name : name.substring(0, at);
    }

    /** The in-flight limit now. */
    @Override
    public int limit() {
        return Math.max(settings.minLimit(), Math.min(settings.maxLimit(), limit.getLimit()));
    }

    /** Requests in flight now. */
    @Override
    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Requests waiting now, all lanes. */
    @Override
    public int queued() {
        lock.lock();
        try {
            return queued;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a request would be admitted at once. */
    public boolean hasRoom() {
        lock.lock();
        try {
            return queued == 0 && inFlight < limit();
        } finally {
            lock.unlock();
        }
    }

    /** The counters of a lane. */
    public LaneStats stats(Lane lane) {
        return stats.get(lane);
    }

    @Override
    public int queued(Lane lane) {
        return stats(lane).queued();
    }

    @Override
    public long admitted(Lane lane) {
        return stats(lane).admitted();
    }

    @Override
    public double waitSeconds(Lane lane) {
        return stats(lane).waitSeconds();
    }

    @Override
    public long refused(Lane lane) {
        return stats(lane).refused();
    }

    @Override
    public long expired(Lane lane) {
        return stats(lane).expired();
    }

    /**
     * Takes a place in flight, waiting in the request's lane when none is free.
     *
     * @throws MeshException {@code QUEUE_FULL} when the queue is full, {@code DEADLINE_EXCEEDED}
     *                          when the deadline passes before a place frees, {@code UNAVAILABLE}
     *                          when the waiting thread is interrupted (it leaves the queue)
     */
    public Permit acquire(Admission admission) {
        LaneStats laneStats = stats.get(admission.lane());
        long arrived = nanos.getAsLong();
        Waiter waiter;
        lock.lock();
        try {
            if (queued == 0 && inFlight < limit() && mayTake(admission.lane())) {
                take(admission.lane());
                laneStats.waits.incrementAndGet();
                return new Permit(arrived, inFlight, admission.lane());
            }
            if (queued >= settings.queueSize()) {
                laneStats.refused.incrementAndGet();
                throw MeshException.of(Failure.QUEUE_FULL, "the queue of model '" + model() + "' is full ("
                        + settings.queueSize() + " requests waiting for " + limit() + " places at a replica); retry shortly",
                        null, Duration.ofSeconds(1)).withDetail("replica " + name);
            }
            if (admission.hasDeadline() && admission.deadlineNanos() - arrived <= 0) {
                laneStats.expired.incrementAndGet();
                throw expired(admission);
            }
            waiter = new Waiter(admission.lane());
            queues.get(admission.lane()).add(waiter);
            queued++;
            laneStats.queued++;
            // a free place that the waiting lower lanes may not take is this request's at once
            grantWaiting();
        } finally {
            lock.unlock();
        }
        Permit permit;
        try {
            permit = await(waiter, admission);
        } finally {
            Tracing.queueWait(name, admission.lane(), nanos.getAsLong() - arrived);
        }
        laneStats.waits.incrementAndGet();
        laneStats.waitNanos.addAndGet(nanos.getAsLong() - arrived);
        return permit;
    }

    private Permit await(Waiter waiter, Admission admission) {
        try {
            if (admission.hasDeadline()) {
                long left = admission.deadlineNanos() - nanos.getAsLong();
                return waiter.granted.get(Math.max(0, left), TimeUnit.NANOSECONDS);
            }
            return waiter.granted.get();
        } catch (TimeoutException | InterruptedException e) {
            lock.lock();
            try {
                if (!waiter.granted.isDone()) {
                    queues.get(waiter.lane).remove(waiter);
                    queued--;
                    stats.get(waiter.lane).queued--;
                    waiter.granted.cancel(false);
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                        throw MeshException.unavailable("interrupted while waiting for replica " + name,
                                Duration.ofSeconds(1));
                    }
                    stats.get(waiter.lane).expired.incrementAndGet();
                    throw expired(admission);
                }
            } finally {
                lock.unlock();
            }
            // granted at the very moment the wait ended: take it
            return waiter.granted.join();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private MeshException expired(Admission admission) {
        return MeshException.of(Failure.DEADLINE_EXCEEDED, "the request's deadline (x-mesh-deadline-ms) passed"
                + " while it waited in the " + admission.lane().key() + " lane of replica " + name, null);
    }

    /** Whether a request of this lane may take a free place: lower lanes leave some to interactive ones. Holds the lock. */
    private boolean mayTake(Lane lane) {
        return lane == Lane.INTERACTIVE || lowerInFlight < limit() - settings.keptForInteractive(limit());
    }

    private void take(Lane lane) {
        inFlight++;
        if (lane != Lane.INTERACTIVE) {
            lowerInFlight++;
        }
    }

    /** Gives free places to waiters, highest lane first but honouring the lower lanes' shares. Holds the lock. */
    private void grantWaiting() {
        while (queued > 0 && inFlight < limit()) {
            Lane lane = nextLane();
            if (lane == null) {
                return;  // only lower lanes wait, and they have taken all they may
            }
            Waiter next = queues.get(lane).poll();
            queued--;
            stats.get(next.lane).queued--;
            take(lane);
            next.granted.complete(new Permit(nanos.getAsLong(), inFlight, lane));
        }
    }

    /** The lane that takes the next place, or null when none that waits may take one. */
    private Lane nextLane() {
        Lane top = null;
        for (Lane lane : Lane.values()) {
            if (!queues.get(lane).isEmpty() && mayTake(lane)) {
                top = lane;
                break;
            }
        }
        if (top == null) {
            return null;
        }
        Lane owed = null;
        for (Lane lane : Lane.values()) {
            if (lane.ordinal() <= top.ordinal()) {
                continue;
            }
            if (queues.get(lane).isEmpty() || !mayTake(lane)) {
                credit[lane.ordinal()] = 0;  // a lane earns only while it waits
                continue;
            }
            credit[lane.ordinal()] += settings.share(lane);
            if (owed == null && credit[lane.ordinal()] >= 1) {
                owed = lane;
            }
        }
        if (owed != null) {
            credit[owed.ordinal()] -= 1;
            return owed;
        }
        return top;
    }

    /** A limit that does not move. */
    private record FixedCeiling(int value) implements Limit {
        @Override
        public int getLimit() {
            return value;
        }

        @Override
        public void notifyOnChange(java.util.function.Consumer<Integer> consumer) {
            // never changes
        }

        @Override
        public void onSample(long startTime, long rtt, int inflight, boolean didDrop) {
            // fixed
        }
    }
}
