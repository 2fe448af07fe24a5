package io.micromesh.server;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counts requests in flight and, once draining starts, refuses new ones and lets the caller wait
 * for those in flight to finish. Thread-safe.
 */
final class Drain {

    private final AtomicInteger inFlight = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private volatile boolean draining;

    /** Admits a request; false when draining (the request must be refused). */
    boolean enter() {
        if (draining) {
            return false;
        }
        inFlight.incrementAndGet();
        return true;
    }

    void exit() {
        if (inFlight.decrementAndGet() == 0 && draining) {
            lock.lock();
            try {
                idle.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    boolean draining() {
        return draining;
    }

    int inFlight() {
        return inFlight.get();
    }

    /**
     * Stops admitting requests and waits until those in flight are done or the bound passes.
     *
     * @return true when all finished in time
     */
    boolean drain(Duration bound) {
        draining = true;
        long deadline = System.nanoTime() + bound.toNanos();
        lock.lock();
        try {
            while (inFlight.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                idle.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return inFlight.get() == 0;
        } finally {
            lock.unlock();
        }
    }
}
