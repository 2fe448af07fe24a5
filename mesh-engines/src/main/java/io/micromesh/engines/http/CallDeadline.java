package io.micromesh.engines.http;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The end of one call to an upstream server, however slowly the server trickles its headers or its
 * body: a socket's read timeout only bounds silence, and a peer sending a byte a second is never
 * silent. Two mechanisms, because neither is enough alone:
 * <ul>
 *   <li>until the answer's headers arrive, a timer interrupts the calling thread at the deadline; a
 *       virtual thread blocked in a socket read is woken by that (the socket is closed, JEP 444);</li>
 *   <li>every read of the answer's body through {@link UpstreamBody} checks the deadline, which stops
 *       a trickling body at the next byte it brings. The timer is disarmed by then: while a stream is
 *       relayed the thread also writes to the client, and an interrupt would close that socket instead.</li>
 * </ul>
 * Opened and closed by the thread making the call; disarming clears an interrupt the timer made, so
 * the thread leaves the call as it entered it.
 */
public final class CallDeadline implements AutoCloseable {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("mesh-call-deadlines").daemon().factory());

    private final Duration limit;
    private final long endNanos;
    private final Thread caller;
    private final ScheduledFuture<?> alarm;
    private boolean finished;     // guarded by this
    private boolean interrupted;  // guarded by this

    private CallDeadline(Duration limit) {
        this.limit = limit;
        this.endNanos = System.nanoTime() + limit.toNanos();
        this.caller = Thread.currentThread();
        this.alarm = TIMER.schedule(this::interruptCaller, limit.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Starts the clock of a call made by the current thread. */
    public static CallDeadline after(Duration limit) {
        return new CallDeadline(limit);
    }

    /** The length of the call allowed. */
    public Duration limit() {
        return limit;
    }

    /** Whether the call has run out of time. */
    public boolean passed() {
        return System.nanoTime() - endNanos >= 0;
    }

    /** Throws when the call has run out of time. */
    void check() throws Passed {
        if (passed()) {
            throw new Passed(limit);
        }
    }

    private synchronized void interruptCaller() {
        if (!finished) {
            interrupted = true;
            caller.interrupt();
        }
    }

    /** The answer's headers have arrived: from here on only reads of its body watch the deadline. */
    public void disarm() {
        boolean clear;
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            clear = interrupted;
        }
        alarm.cancel(false);
        if (clear) {
            Thread.interrupted();  // ours, not a request to stop the thread
        }
    }

    @Override
    public void close() {
        disarm();
    }

    /** The answer was still coming when the call's time ran out. */
    public static final class Passed extends IOException {
        Passed(Duration limit) {
            super("the answer took longer than " + limit.toMillis() + " ms");
        }
    }
}
