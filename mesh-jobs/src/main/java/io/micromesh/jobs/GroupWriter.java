package io.micromesh.jobs;

import io.micromesh.store.Journal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes results to the journal in groups, one transaction (one disk sync) per group, from one
 * thread: at hundreds of results a second a sync per result is the job's bottleneck. The worker that
 * hands a result over waits until its group is committed, so an item counts as in flight until it
 * is journaled: a kill makes {@code --resume} send again only items that were in flight, at most the
 * job's concurrency. {@link #close} writes everything queued.
 *
 * <p>When several workers feed it, the writer lingers after a group's first result before it
 * commits, and sleeps rather than waits on the queue meanwhile: a disk sync takes a tenth of a
 * millisecond on a fast disk, so without the linger nearly every result was its own transaction,
 * and every hand-over woke the writer's thread (measured on a 20,000-item job at 776 items/s: 12,755
 * syncs, a third of the job's CPU in the two writing threads). A worker waits that much longer for
 * its commit, so the linger is a twentieth of the time items take (their recent mean, as the
 * workers report it), at most {@value #LINGER_MS} ms: a job whose items take 20 ms pays 1 ms (5%)
 * where its backend has room, one whose items wait for a busy backend or a language model pays
 * nothing it would notice. With one or two workers there is nothing to gather and the writer does
 * not linger.
 */
public final class GroupWriter implements AutoCloseable {

    private static final int MAX_GROUP = 1000;
    static final long LINGER_MS = 5;
    private record Entry(Journal.Completion completion, CompletableFuture<Void> committed) {
    }

    private static final Entry END = new Entry(null, null);

    private final Journal journal;
    private final BlockingQueue<Entry> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final boolean linger;
    /** The recent mean time an item took, in nanoseconds (an exponentially weighted mean of what workers report). */
    private final AtomicLong itemNanos = new AtomicLong();
    private volatile boolean closing;
    private volatile RuntimeException failure;

    /**
     * Starts the writer's thread.
     *
     * @param workers how many workers hand results over at once (the job's concurrency): with more
     *                than two the writer gathers results for a few milliseconds before each commit
     */
    public GroupWriter(Journal journal, int workers) {
        this.journal = journal;
        this.linger = workers > 2;
        this.writer = Thread.ofPlatform().name("journal-writer").daemon().start(this::write);
    }

    /**
     * Journals a result with the next group; returns once it is committed. Its item's time is not
     * known: it teaches the linger nothing.
     */
    public void add(Journal.Completion completion) {
        add(completion, 0);
    }

    /**
     * The same, for a result whose item took {@code tookNanos} to run: the linger is kept to a small
     * part of that time.
     */
    public void add(Journal.Completion completion, long tookNanos) {
        if (tookNanos > 0) {
            itemNanos.updateAndGet(mean -> mean == 0 ? tookNanos : mean + (tookNanos - mean) / 16);
        }
        if (failure != null) {
            throw failure;
        }
        Entry entry = new Entry(completion, new CompletableFuture<>());
        queue.add(entry);
        entry.committed().join();
    }

    private void write() {
        List<Entry> group = new ArrayList<>();
        try {
            while (true) {
                Entry first = queue.take();
                boolean end = first == END;
                if (!end) {
                    group.add(first);
                    if (linger) {
                        gather();
                    }
                }
                Entry next;
                // whatever arrived while the last group was being synced forms the next one
                while (!end && group.size() < MAX_GROUP && (next = queue.poll()) != null) {
                    if (next == END) {
                        end = true;
                    } else {
                        group.add(next);
                    }
                }
                if (!group.isEmpty()) {
                    journal.completeAll(group.stream().map(Entry::completion).toList());
                    group.forEach(e -> e.committed().complete(null));
                    group.clear();
                }
                if (end) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = e;
            group.forEach(entry -> entry.committed().completeExceptionally(e));
            queue.forEach(entry -> {
                if (entry != END) {
                    entry.committed().completeExceptionally(e);
                }
            });
        }
    }

    /** Sleeps until the linger is over or the writer is closed; workers hand results over meanwhile without waking it. */
    private void gather() {
        long deadline = System.nanoTime() + Math.min(TimeUnit.MILLISECONDS.toNanos(LINGER_MS), itemNanos.get() / 20);
        long left;
        while (!closing && (left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }

    /** Journals everything handed over, then stops. */
    @Override
    public void close() {
        closing = true;
        queue.add(END);
        LockSupport.unpark(writer);
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
    }
}
