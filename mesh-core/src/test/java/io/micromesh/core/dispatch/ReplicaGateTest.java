package io.micromesh.core.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micromesh.core.MeshException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gate of one replica with real waiting threads: the order in which places are given (lanes,
 * reserved shares), a full queue, a deadline, and the adaptive limit fed by a fake clock.
 */
@Timeout(60)
class ReplicaGateTest {

    private record Granted(String label, ReplicaGate.Permit permit) {
    }

    private final BlockingQueue<Granted> granted = new LinkedBlockingQueue<>();

    /** Starts a waiter and returns once it is queued. */
    private void enqueue(ReplicaGate gate, String label, Lane lane) throws InterruptedException {
        int before = gate.queued();
        Thread.ofVirtual().start(() -> granted.add(new Granted(label, gate.acquire(new Admission(lane, Long.MAX_VALUE, null)))));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (gate.queued() == before && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(gate.queued()).as("queued " + label).isEqualTo(before + 1);
    }

    /** Releases {@code first}, then each granted permit in turn, and returns the labels in the order granted. */
    private List<String> drain(ReplicaGate.Permit first, int count) throws InterruptedException {
        List<String> order = new ArrayList<>();
        ReplicaGate.Permit holding = first;
        for (int i = 0; i < count; i++) {
            holding.release(false);
            Granted next = granted.poll(5, TimeUnit.SECONDS);
            assertThat(next).as("grant " + (i + 1)).isNotNull();
            order.add(next.label());
            holding = next.permit();
        }
        holding.release(false);
        return order;
    }

    @Test
    void higherLanesAreServedFirstWithoutShares() throws Exception {
        ReplicaGate gate = new ReplicaGate("m@r", new GateSettings(1, 1, false, 10, 0, 0, 0.125), System::nanoTime);
        ReplicaGate.Permit held = gate.acquire(Admission.DEFAULT);
        enqueue(gate, "batch-1", Lane.BATCH);
        enqueue(gate, "agent-1", Lane.AGENT);
        enqueue(gate, "interactive-1", Lane.INTERACTIVE);
        enqueue(gate, "agent-2", Lane.AGENT);
        enqueue(gate, "interactive-2", Lane.INTERACTIVE);
        assertThat(drain(held, 5)).containsExactly("interactive-1", "interactive-2", "agent-1", "agent-2", "batch-1");
        assertThat(gate.inFlight()).isZero();
        assertThat(gate.stats(Lane.AGENT).admitted()).isEqualTo(2);
    }

    @Test
    void aLowerLaneGetsItsShareUnderContention() throws Exception {
        ReplicaGate gate = new ReplicaGate("m@r", new GateSettings(1, 1, false, 20, 0.5, 0, 0.125), System::nanoTime);
        ReplicaGate.Permit held = gate.acquire(Admission.DEFAULT);
        for (int i = 1; i <= 4; i++) {
            enqueue(gate, "i" + i, Lane.INTERACTIVE);
        }
        for (int i = 1; i <= 4; i++) {
            enqueue(gate, "a" + i, Lane.AGENT);
        }
        // a share of 0.5 earns the agent lane every second place while interactive requests wait
        assertThat(drain(held, 8)).containsExactly("i1", "a1", "i2", "a2", "i3", "a3", "i4", "a4");
    }

    @Test
    void lowerLanesLeaveAPlaceForInteractiveRequests() throws Exception {
        ReplicaGate gate = new ReplicaGate("m@r", new GateSettings(4, 4, false, 10, 0.1, 0.05, 0.25), System::nanoTime);
        Admission agent = new Admission(Lane.AGENT, Long.MAX_VALUE, null);
        List<ReplicaGate.Permit> agents = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            agents.add(gate.acquire(agent));
        }
        enqueue(gate, "agent-4", Lane.AGENT);
        assertThat(gate.inFlight()).as("a place is free, but kept for interactive requests").isEqualTo(3);
        ReplicaGate.Permit person = gate.acquire(Admission.DEFAULT);
        assertThat(gate.inFlight()).isEqualTo(4);
        person.release(false);
        assertThat(granted.poll(200, TimeUnit.MILLISECONDS)).as("the freed place stays kept").isNull();
        agents.getFirst().release(false);
        Granted next = granted.poll(5, TimeUnit.SECONDS);
        assertThat(next.label()).isEqualTo("agent-4");
        next.permit().release(false);
        agents.subList(1, 3).forEach(p -> p.release(false));
        assertThat(gate.inFlight()).isZero();
    }

    @Test
    void aFullQueueRefusesAtOnce() throws Exception {
        ReplicaGate gate = new ReplicaGate("m@r", new GateSettings(1, 1, false, 2, 0.1, 0.05, 0.125), System::nanoTime);
        ReplicaGate.Permit held = gate.acquire(Admission.DEFAULT);
        enqueue(gate, "w1", Lane.INTERACTIVE);
        enqueue(gate, "w2", Lane.BATCH);
        assertThatThrownBy(() -> gate.acquire(new Admission(Lane.AGENT, Long.MAX_VALUE, null)))
                .isInstanceOfSatisfying(MeshException.class, e -> {
                    assertThat(e.failure()).isEqualTo(MeshException.Failure.QUEUE_FULL);
                    assertThat(e.getMessage()).contains("queue of model 'm' is full");
                });
        assertThat(gate.stats(Lane.AGENT).refused()).isEqualTo(1);
        assertThat(drain(held, 2)).containsExactly("w1", "w2");
    }

    @Test
    void aRequestWhoseDeadlinePassesLeavesTheQueueWithoutAPlace() throws Exception {
        ReplicaGate gate = new ReplicaGate("m@r", new GateSettings(1, 1, false, 10, 0.1, 0.05, 0.125), System::nanoTime);
        ReplicaGate.Permit held = gate.acquire(Admission.DEFAULT);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        assertThatThrownBy(() -> gate.acquire(new Admission(Lane.INTERACTIVE, deadline, null)))
                .isInstanceOfSatisfying(MeshException.class,
                        e -> assertThat(e.failure()).isEqualTo(MeshException.Failure.DEADLINE_EXCEEDED));
        assertThat(gate.queued()).isZero();
        assertThat(gate.stats(Lane.INTERACTIVE).expired()).isEqualTo(1);
        held.release(false);
        assertThat(gate.inFlight()).as("the expired request took no place").isZero();
        // an already-passed deadline is refused without queueing
        assertThatThrownBy(() -> {
            ReplicaGate.Permit again = gate.acquire(Admission.DEFAULT);
            try {
                gate.acquire(new Admission(Lane.BATCH, System.nanoTime() - 1, null));
            } finally {
                again.release(false);
            }
        }).isInstanceOf(MeshException.class);
    }

    @Test
    void theAdaptiveLimitFollowsTheReplicasCapacity() {
        AtomicLong now = new AtomicLong();
        ReplicaGate gate = new ReplicaGate("m@r", new GateSettings(1, 200, true, 1000, 0.1, 0.05, 0.125), now::get);
        assertThat(gate.limit()).as("initial").isEqualTo(16);
        runRounds(gate, now, 64, 300);
        int roomy = gate.limit();
        assertThat(roomy).as("a replica that serves 64 at once").isBetween(48, 96);
        runRounds(gate, now, 8, 300);
        int cramped = gate.limit();
        assertThat(cramped).as("the replica slows down: it serves only 8 at once").isLessThan(roomy / 2);
        runRounds(gate, now, 64, 300);
        assertThat(gate.limit()).as("it recovers").isGreaterThan(cramped * 2);
    }

    /**
     * Rounds in which every place is used and a replica that serves {@code capacity} requests at
     * once answers them all: its latency is 10 ms up to its capacity, and grows with the queue beyond.
     */
    private static void runRounds(ReplicaGate gate, AtomicLong now, int capacity, int rounds) {
        for (int r = 0; r < rounds; r++) {
            List<ReplicaGate.Permit> permits = new ArrayList<>();
            int places = gate.limit();
            for (int i = 0; i < places; i++) {
                permits.add(gate.acquire(Admission.DEFAULT));
            }
            now.addAndGet((long) (TimeUnit.MILLISECONDS.toNanos(10) * Math.max(1.0, places / (double) capacity)));
            permits.forEach(p -> p.release(false));
        }
    }
}
