package io.micromesh.engines.openai;

import io.micromesh.api.Operation;
import io.micromesh.core.dispatch.ReplicaGate;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One endpoint of an {@code openai} model: its admission gate and its health. A replica that fails
 * {@code ejectAfter} times in a row is ejected for a back-off period; when the period is over it is
 * probed, re-admitted if the probe succeeds, and ejected for twice as long if not. A probe only
 * shows that the server lists its models, not that it answers them, so a re-admitted replica is on
 * probation until a real request succeeds: its first failure ejects it again, for twice as long,
 * and only a success brings the back-off down to its first value.
 * Thread-safe. The path of a healthy replica takes no lock: the ejection time is volatile and the
 * failure count atomic; only the rare transitions (eject, probe, re-admit) lock this object.
 */
final class Replica {

    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    private final String base;
    private final Map<Operation, URI> uris = new EnumMap<>(Operation.class);
    private final URI probeUri;
    private final URI transcriptionsUri;
    private final ReplicaGate gate;
    private final int ejectAfter;
    private final Duration firstBackoff;

    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile Instant ejectedUntil;
    private Duration backoff;
    private boolean probing;
    /** Re-admitted by a probe, and no request has succeeded since. */
    private volatile boolean onProbation;

    Replica(String base, ReplicaGate gate, int ejectAfter, Duration firstBackoff) {
        this.base = base;
        for (Operation op : Operation.values()) {
            uris.put(op, URI.create(base + op.path()));
        }
        this.probeUri = URI.create(base + "/models");
        this.transcriptionsUri = URI.create(base + "/audio/transcriptions");
        this.gate = gate;
        this.ejectAfter = ejectAfter;
        this.firstBackoff = firstBackoff;
        this.backoff = firstBackoff;
    }

    String base() {
        return base;
    }

    URI uri(Operation operation) {
        return uris.get(operation);
    }

    URI transcriptionsUri() {
        return transcriptionsUri;
    }

    URI probeUri() {
        return probeUri;
    }

    /** The replica's admission: in-flight limit, lanes and queue. */
    ReplicaGate gate() {
        return gate;
    }

    boolean admitted() {
        return ejectedUntil == null;
    }

    /** Ejected, its back-off over, and no probe under way: the caller should start one. */
    boolean claimProbe(Instant now) {
        if (ejectedUntil == null) {
            return false;
        }
        synchronized (this) {
            if (ejectedUntil == null || probing || now.isBefore(ejectedUntil)) {
                return false;
            }
            probing = true;
            return true;
        }
    }

    Instant ejectedUntil() {
        return ejectedUntil;
    }

    /** A request succeeded: the failure count, the probation and the back-off start over. */
    void succeeded() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
        if (onProbation) {
            synchronized (this) {
                onProbation = false;
                backoff = firstBackoff;
            }
        }
    }

    /**
     * Records a failure, ejecting the replica when it is the {@code ejectAfter}-th in a row, or at
     * once, for twice the last back-off, when it is on probation.
     */
    void failed(Instant now) {
        if (onProbation) {
            synchronized (this) {
                if (ejectedUntil == null && onProbation) {
                    backoff = doubled(backoff);
                    ejectedUntil = now.plus(backoff);
                }
            }
            return;
        }
        if (consecutiveFailures.incrementAndGet() >= ejectAfter) {
            synchronized (this) {
                if (ejectedUntil == null) {
                    ejectedUntil = now.plus(backoff);
                }
            }
        }
    }

    /** The probe answered: re-admitted on probation, the back-off kept until a request succeeds. */
    synchronized void probeSucceeded() {
        probing = false;
        consecutiveFailures.set(0);
        onProbation = true;
        ejectedUntil = null;  // last: re-admits the replica to callers that read it without the lock
    }

    synchronized void probeFailed(Instant now) {
        probing = false;
        backoff = doubled(backoff);
        ejectedUntil = now.plus(backoff);
    }

    private static Duration doubled(Duration backoff) {
        return backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    }
}
