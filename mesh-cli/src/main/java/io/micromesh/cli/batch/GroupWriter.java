package io.micromesh.cli.batch;

import io.micromesh.core.batch.Journal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Writes results to the journal in groups, one transaction (one disk sync) per group, from one
 * thread: at hundreds of results a second a sync per result is the job's bottleneck. A result is
 * handed over and the worker moves on; a result still in the queue when the process is killed is
 * not journaled, so its item is sent again on {@code --resume}, like one in flight. {@link #close}
 * writes everything queued.
 */
public final class GroupWriter implements AutoCloseable {

    private static final int MAX_GROUP = 1000;
    private static final Journal.Completion END = new Journal.Completion(-1, null, 0, 0, 0);

    private final Journal journal;
    private final BlockingQueue<Journal.Completion> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile RuntimeException failure;

    public GroupWriter(Journal journal) {
        this.journal = journal;
        this.writer = Thread.ofPlatform().name("journal-writer").daemon().start(this::write);
    }

    /** Hands a result over to be journaled. */
    public void add(Journal.Completion completion) {
        if (failure != null) {
            throw failure;
        }
        queue.add(completion);
    }

    private void write() {
        List<Journal.Completion> group = new ArrayList<>();
        try {
            while (true) {
                Journal.Completion first = queue.take();
                boolean end = first == END;
                if (!end) {
                    group.add(first);
                }
                Journal.Completion next;
                while (!end && group.size() < MAX_GROUP && (next = queue.poll(2, TimeUnit.MILLISECONDS)) != null) {
                    if (next == END) {
                        end = true;
                    } else {
                        group.add(next);
                    }
                }
                if (!group.isEmpty()) {
                    journal.completeAll(group);
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
