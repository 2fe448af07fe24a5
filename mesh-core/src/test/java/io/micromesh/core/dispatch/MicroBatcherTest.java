package io.micromesh.core.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The micro-batcher's decisions on a fake clock (flush on size, on time, never past the maximum
 * wait, one bucket per batch, long items alone), and results reaching the right callers through
 * its real worker thread.
 */
@Timeout(60)
class MicroBatcherTest {

    private static final long MS = 1_000_000;

    /** A batcher whose worker never runs on its own (its thread waits on a latch), to drive next() by hand. */
    private static MicroBatcher<String, String> idle(int maxBatch, Duration maxWait, AtomicLong now, CountDownLatch hold) {
        return new MicroBatcher<>(new MicroBatcher.Settings(maxBatch, maxWait),
                s -> s.startsWith("long") ? MicroBatcher.ALONE : s.length(), batch -> batch, now::get,
                r -> Thread.ofPlatform().daemon().unstarted(() -> {
                    try {
                        hold.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
    }

    /** Adds items as callers would, without blocking the test (their futures are never waited on). */
    private static void offer(MicroBatcher<String, String> batcher, AtomicLong now, long atMs, String... items) {
        now.set(atMs * MS);
        int before = batcher.pendingForTest();
        for (String item : items) {
            Thread.ofVirtual().start(() -> batcher.submit(item));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (batcher.pendingForTest() < before + items.length && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    private static List<String> items(MicroBatcher.Next<String, String> next) {
        return next.batch().stream().map(p -> p.item()).toList();
    }

    @Test
    void aFullBatchLeavesAtOnceAndAPartialOneWhenItsOldestHasWaitedEnough() {
        AtomicLong now = new AtomicLong();
        CountDownLatch hold = new CountDownLatch(1);
        MicroBatcher<String, String> batcher = idle(3, Duration.ofMillis(10), now, hold);
        offer(batcher, now, 0, "aa");
        offer(batcher, now, 2, "bb");
        now.set(4 * MS);
        MicroBatcher.Next<String, String> wait = batcher.nextForTest(now.get());
        assertThat(wait.batch()).isEmpty();
        assertThat(wait.waitNanos()).as("until the oldest has waited 10 ms").isEqualTo(6 * MS);
        offer(batcher, now, 5, "cc");
        MicroBatcher.Next<String, String> full = batcher.nextForTest(5 * MS);
        assertThat(full.batch()).hasSize(3).as("full: leaves before its time");
        offer(batcher, now, 20, "dd");
        assertThat(batcher.nextForTest(25 * MS).batch()).isEmpty();
        assertThat(items(batcher.nextForTest(30 * MS))).as("never past the maximum wait").containsExactly("dd");
        hold.countDown();
    }

    @Test
    void aBatchHoldsOneBucketAndLongItemsRunAlone() {
        AtomicLong now = new AtomicLong();
        CountDownLatch hold = new CountDownLatch(1);
        MicroBatcher<String, String> batcher = idle(8, Duration.ZERO, now, hold);
        offer(batcher, now, 0, "a1");
        offer(batcher, now, 1, "bbb1");
        offer(batcher, now, 2, "a2");
        offer(batcher, now, 3, "long text");
        offer(batcher, now, 4, "bbb2");
        assertThat(items(batcher.nextForTest(5 * MS))).as("the oldest's bucket, in order").containsExactly("a1", "a2");
        assertThat(items(batcher.nextForTest(5 * MS))).containsExactly("bbb1", "bbb2");
        assertThat(items(batcher.nextForTest(5 * MS))).containsExactly("long text");
        assertThat(batcher.nextForTest(5 * MS).waitNanos()).isEqualTo(Long.MAX_VALUE);
        hold.countDown();
    }

    @Test
    void eachCallerGetsItsOwnResultAndBatchesFormUnderLoad() throws Exception {
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> sizes = java.util.Collections.synchronizedList(new ArrayList<>());
        try (MicroBatcher<String, String> batcher = new MicroBatcher<>(new MicroBatcher.Settings(16, Duration.ZERO),
                String::length, batch -> {
                    sizes.add(batch.size());
                    if (sizes.size() == 1) {
                        firstRunning.countDown();
                        try {
                            release.await();  // the worker is busy: the next items gather
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return batch.stream().map(s -> s.toUpperCase()).toList();
                }, System::nanoTime, Thread.ofPlatform().daemon().factory())) {
            CompletableFuture<String> lone = CompletableFuture.supplyAsync(() -> batcher.submit("first"),
                    Executors.newVirtualThreadPerTaskExecutor());
            firstRunning.await();
            List<CompletableFuture<String>> later = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String item = "item" + i;
                later.add(CompletableFuture.supplyAsync(() -> batcher.submit(item), Executors.newVirtualThreadPerTaskExecutor()));
            }
            while (batcher.pendingForTest() < 10) {
                Thread.sleep(1);
            }
            release.countDown();
            assertThat(lone.get()).isEqualTo("FIRST");
            for (int i = 0; i < 10; i++) {
                assertThat(later.get(i).get()).isEqualTo("ITEM" + i);
            }
            assertThat(sizes).as("alone at once, then the ten that gathered meanwhile").containsExactly(1, 10);
        }
    }

    @Test
    void aFailedBatchFailsEachOfItsCallers() {
        try (MicroBatcher<String, String> batcher = new MicroBatcher<>(new MicroBatcher.Settings(4, Duration.ZERO),
                String::length, batch -> {
                    throw new IllegalArgumentException("bad batch");
                }, System::nanoTime, Thread.ofPlatform().daemon().factory())) {
            assertThatThrownBy(() -> batcher.submit("x")).hasMessage("bad batch");
        }
    }
}
