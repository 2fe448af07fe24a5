package io.micromesh.jobs;

import io.micromesh.store.Journal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Writes results to the journal in groups, one transaction (one disk sync) per group, from one
 * thread: at hundreds of results a second a sync per result is the job's bottleneck. The worker that
 * hands a result over waits until its group is committed, so an item counts as in flight until it
 * is journaled: a kill makes {@code --resume} send again only items that were in flight, at most the
 * job's concurrency. {@link #close} writes everything queued.
 */
public final class GroupWriter implements AutoCloseable {

    private static final int MAX_GROUP = 1000;
    private record Entry(Journal.Completion completion, CompletableFuture<Void> committed) {
    }

    private static final Entry END = new Entry(null, null);

    private final Journal journal;
    private final BlockingQueue<Entry> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile RuntimeException failure;

    public GroupWriter(Journal journal) {
        this.journal = journal;
        this.writer = Thread.ofPlatform().name("journal-writer").daemon().start(this::write);
    }

    /** Journals a result with the next group; returns once it is committed. */
    public void add(Journal.Completion completion) {
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

    /** Journals everything handed over, then stops. */
    @Override
    public void close() {
        queue.add(END);
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
