package io.micromesh.server;

import io.helidon.common.socket.HelidonSocket;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
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

    private enum Phase { IDLE, HEAD, BODY, BUSY, LINGER }

    /**
     * How long a closing connection reads what the client still sends (nginx's lingering close,
     * whose {@code lingering_timeout} is 5 s); fixed, as only a client that ignores
     * {@code Connection: close} ever waits it out.
     */
    static final long LINGER_MS = 2_000;

    private static final ThreadLocal<ConnectionWatch> CURRENT = new ThreadLocal<>();

    private final HelidonSocket socket;
    private final EdgeTimeouts limits;
    private final LongSupplier nanos;
    private Phase phase = Phase.IDLE;  // guarded by this
    private long since;                // guarded by this
    private boolean closed;            // guarded by this
    private boolean bodyUnread;        // guarded by this

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
     * The current request is answered without its body having been read (a 413 from its
     * Content-Length): the client may still be sending it when the connection closes.
     */
    static void answeredWithBodyUnread() {
        ConnectionWatch watch = CURRENT.get();
        if (watch != null) {
            synchronized (watch) {
                watch.bodyUnread = true;
            }
        }
    }

    /**
     * The connection is about to close: when an answer left a body unread, it reads what the client
     * still sends for at most {@link #LINGER_MS}.
     *
     * @return true when the connection should linger: a body was left unread and the socket is open
     */
    synchronized boolean startLingering() {
        if (closed || !bodyUnread) {
            return false;
        }
        phase = Phase.LINGER;
        since = nanos.getAsLong();
        return true;
    }

    /** Closes the connection now if it is lingering (the server stops: nothing more is worth reading). */
    void closeIfLingering() {
        synchronized (this) {
            if (closed || phase != Phase.LINGER) {
                return;
            }
            closed = true;
        }
        closeSocket();
    }

    /**
     * Closes the socket; the connection's blocked read fails, and its thread ends the connection.
     * Helidon's close shuts output, then input, then the channel: the client can answer the first
     * step by closing, its thread then closes the channel, and the later steps find it closed —
     * the connection is closed either way.
     */
    private void closeSocket() {
        try {
            socket.close();
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof ClosedChannelException)) {
                throw e;
            }
        }
    }

    /**
     * Closes the connection when its phase has lasted longer than allowed.
     *
     * @return what ran late ({@code idle}, {@code head}, {@code body}, {@code closing}), or empty when nothing did
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
                case LINGER -> elapsedMs > LINGER_MS ? "closing" : null;
            };
            if (late == null) {
                return Optional.empty();
            }
            closed = true;
        }
        closeSocket();
        return Optional.of(late);
    }
}
