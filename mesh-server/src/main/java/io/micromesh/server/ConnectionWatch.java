package io.micromesh.server;

import io.helidon.common.socket.HelidonSocket;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The clock of one client connection at the edge. A connection is always in one phase: idle
 * (between requests), reading the head of a request (its first byte has come, its routing has not
 * begun), reading a request's body, or busy answering. The first three have limits
 * ({@link EdgeTimeouts}); {@link EdgeConnections}' watchdog closes the socket of a connection that
 * stays in one of them too long, which ends a slow or silent client however it holds on: a byte
 * a second, or nothing. Busy has no limit here: the upstream's deadline bounds an answer.
 *
 * <p>The connection's own thread moves it from phase to phase; the watchdog reads it.
 * Thread-safe.
 */
final class ConnectionWatch {

    private enum Phase { IDLE, HEAD, BODY, BUSY }

    private static final ThreadLocal<ConnectionWatch> CURRENT = new ThreadLocal<>();

    private final HelidonSocket socket;
    private final EdgeTimeouts limits;
    private final LongSupplier nanos;
    private Phase phase = Phase.IDLE;  // guarded by this
    private long since;                // guarded by this
    private boolean closed;            // guarded by this

    ConnectionWatch(HelidonSocket socket, EdgeTimeouts limits, LongSupplier nanos) {
        this.socket = socket;
        this.limits = limits;
        this.nanos = nanos;
        this.since = nanos.getAsLong();
    }

    /** The watch of the connection the current thread serves, if the edge watches it. */
    static Optional<ConnectionWatch> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /**
     * Marks the current thread's connection, if watched, as reading a request's body until the
     * returned handle is closed: {@code try (var reading = ConnectionWatch.readingBody()) {...}}.
     */
    static BodyReading readingBody() {
        ConnectionWatch watch = CURRENT.get();
        if (watch == null) {
            return () -> { };
        }
        watch.bodyStarted();
        return watch::bodyDone;
    }

    /** The span of a body's reading; closing it ends the span. */
    interface BodyReading extends AutoCloseable {
        @Override
        void close();
    }

    /** Makes this the current thread's watch while it serves the connection. */
    void bindToCurrentThread() {
        CURRENT.set(this);
    }

    void unbindFromCurrentThread() {
        CURRENT.remove();
    }

    /** Bytes came from the client: when it was idle, the head of a request has begun. */
    synchronized void bytesArrived() {
        if (phase == Phase.IDLE) {
            phase = Phase.HEAD;
            since = nanos.getAsLong();
        }
    }

    /** The request's head is read and routing begins. */
    synchronized void requestRouted() {
        phase = Phase.BUSY;
    }

    /** The handler starts reading the request's body. */
    synchronized void bodyStarted() {
        phase = Phase.BODY;
        since = nanos.getAsLong();
    }

    /** The handler has read the body (or given up on it). */
    synchronized void bodyDone() {
        if (phase == Phase.BODY) {
            phase = Phase.BUSY;
        }
    }

    /** The request is answered: the connection waits for the next one. */
    synchronized void requestDone() {
        phase = Phase.IDLE;
        since = nanos.getAsLong();
    }

    /**
     * Closes the connection when its phase has lasted longer than allowed.
     *
     * @return what ran late ({@code idle}, {@code head}, {@code body}), or empty when nothing did
     */
    Optional<String> closeIfLate() {
        String late;
        synchronized (this) {
            if (closed) {
                return Optional.empty();
            }
            long elapsedMs = (nanos.getAsLong() - since) / 1_000_000;
            late = switch (phase) {
                case IDLE -> elapsedMs > limits.idleMs() ? "idle" : null;
                case HEAD -> elapsedMs > limits.headerMs() ? "head" : null;
                case BODY -> elapsedMs > limits.bodyMs() ? "body" : null;
                case BUSY -> null;
            };
            if (late == null) {
                return Optional.empty();
            }
            closed = true;
        }
        socket.close();  // the connection's blocked read fails, and its thread ends the connection
        return Optional.of(late);
    }
}
