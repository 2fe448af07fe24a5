package io.micromesh.core.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * Gathers single items from many callers into batches for one worker thread (an encoder's native
 * thread): a batch holds items of one length bucket only (so padding stays small), at most
 * {@code maxBatch} of them, and leaves when it is full, when its oldest item has waited
 * {@code maxWait}, or — when {@code maxWait} is zero — as soon as the worker is free. With a zero
 * wait nothing is ever delayed: batches form only from items that arrive while the worker is busy,
 * which is exactly when batching pays. Items whose bucket is {@link #ALONE} always run alone.
 *
 * <p>Each caller blocks (a virtual thread parks) until its own result is back; a failure of the
 * batch is rethrown to every caller of it. Thread-safe.
 *
 * @param <I> an item
 * @param <O> its result
 */
public final class MicroBatcher<I, O> implements AutoCloseable {

    /** The bucket of items that must run alone (too long to gain from batching). */
    public static final int ALONE = -1;

    /**
     * @param maxBatch items per batch at most (1 turns batching off)
     * @param maxWait  how long the oldest item may wait for others; zero: never wait for a free worker
     */
    public record Settings(int maxBatch, Duration maxWait) {
        public Settings {
            if (maxBatch < 1 || maxWait.isNegative()) {
                throw new IllegalArgumentException("maxBatch " + maxBatch + ", maxWait " + maxWait);
            }
        }
    }

    record Pending<I, O>(I item, int bucket, long arrived, CompletableFuture<O> result) {
    }

    /** What the worker is to do next: run a batch, or wait (nanoseconds; {@code Long.MAX_VALUE}: until an item comes). */
    record Next<I, O>(List<Pending<I, O>> batch, long waitNanos) {
    }

    private final Settings settings;
    private final ToIntFunction<I> bucket;
    private final Function<List<I>, List<O>> runner;
    private final LongSupplier nanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Pending<I, O>> pending = new ArrayList<>();
    private final Thread worker;
    private volatile boolean closed;
    private long batches;
    private long items;

    /**
     * @param bucket  an item's length bucket, or {@link #ALONE}
     * @param runner  runs one batch, returning one result per item in order; called on the worker thread only
     * @param nanos   the time source ({@code System::nanoTime})
     * @param worker  makes the worker thread (a platform thread for native work)
     */
    public MicroBatcher(Settings settings, ToIntFunction<I> bucket, Function<List<I>, List<O>> runner,
                        LongSupplier nanos, java.util.concurrent.ThreadFactory worker) {
        this.settings = settings;
        this.bucket = bucket;
        this.runner = runner;
        this.nanos = nanos;
        this.worker = worker.newThread(this::work);
        this.worker.start();
    }

    /**
     * Runs an item in the next batch of its bucket and returns its result.
     *
     * @throws RuntimeException the batch's failure
     */
    public O submit(I item) {
        CompletableFuture<O> result = new CompletableFuture<>();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the batcher is closed");
            }
            pending.add(new Pending<>(item, bucket.applyAsInt(item), nanos.getAsLong(), result));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a batch", e);
        }
    }

    /**
     * Runs several items (one request's inputs), each in a batch of its bucket, and returns their
     * results in order.
     */
    public List<O> submitAll(List<I> batchItems) {
        List<CompletableFuture<O>> results = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the batcher is closed");
            }
            long now = nanos.getAsLong();
            for (I item : batchItems) {
                CompletableFuture<O> result = new CompletableFuture<>();
                pending.add(new Pending<>(item, bucket.applyAsInt(item), now, result));
                results.add(result);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        List<O> out = new ArrayList<>(results.size());
        for (CompletableFuture<O> result : results) {
            try {
                out.add(result.get());
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a batch", e);
            }
        }
        return out;
    }

    /** Items waiting now (for tests). */
    int pendingForTest() {
        lock.lock();
        try {
            return pending.size();
        } finally {
            lock.unlock();
        }
    }

    /** {@link #next} under the lock (for tests that drive the decisions with a fake clock). */
    Next<I, O> nextForTest(long now) {
        lock.lock();
        try {
            return next(now);
        } finally {
            lock.unlock();
        }
    }

    /** Batches run so far. */
    public long batches() {
        lock.lock();
        try {
            return batches;
        } finally {
            lock.unlock();
        }
    }

    /** Items run so far. */
    public long items() {
        lock.lock();
        try {
            return items;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The decision, at time {@code now}, over the pending items: the oldest item's bucket forms the
     * batch (in arrival order, at most {@code maxBatch}); it leaves when full, when the oldest has
     * waited {@code maxWait}, or at once with a zero wait. Removes the batch it returns. Holds the lock.
     */
    Next<I, O> next(long now) {
        if (pending.isEmpty()) {
            return new Next<>(List.of(), Long.MAX_VALUE);
        }
        Pending<I, O> oldest = pending.getFirst();
        List<Pending<I, O>> batch = new ArrayList<>();
        if (oldest.bucket() == ALONE || settings.maxBatch() == 1) {
            batch.add(oldest);
        } else {
            for (Pending<I, O> p : pending) {
                if (p.bucket() == oldest.bucket()) {
                    batch.add(p);
                    if (batch.size() == settings.maxBatch()) {
                        break;
                    }
                }
            }
            long waited = now - oldest.arrived();
            long left = settings.maxWait().toNanos() - waited;
            if (batch.size() < settings.maxBatch() && left > 0) {
                return new Next<>(List.of(), left);
            }
        }
        pending.removeAll(batch);
        return new Next<>(batch, 0);
    }

    private void work() {
        while (true) {
            Next<I, O> next;
            lock.lock();
            try {
                while (true) {
                    if (closed && pending.isEmpty()) {
                        return;
                    }
                    next = next(nanos.getAsLong());
                    if (!next.batch().isEmpty()) {
                        batches++;
                        items += next.batch().size();
                        break;
                    }
                    try {
                        if (next.waitNanos() == Long.MAX_VALUE) {
                            changed.await();
                        } else {
                            changed.awaitNanos(next.waitNanos());
                        }
                    } catch (InterruptedException e) {
                        if (closed) {
                            failAll(new IllegalStateException("the batcher was closed"));
                            return;
                        }
                    }
                }
            } finally {
                lock.unlock();
            }
            run(next.batch());
        }
    }

    private void run(List<Pending<I, O>> batch) {
        try {
            List<O> results = runner.apply(batch.stream().map(Pending::item).toList());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(results.get(i));
            }
        } catch (RuntimeException | Error e) {
            batch.forEach(p -> p.result().completeExceptionally(e));
        }
    }

    private void failAll(RuntimeException e) {
        for (Iterator<Pending<I, O>> it = pending.iterator(); it.hasNext(); ) {
            it.next().result().completeExceptionally(e);
            it.remove();
        }
    }

    /** Runs what is pending, then stops the worker. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            worker.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
