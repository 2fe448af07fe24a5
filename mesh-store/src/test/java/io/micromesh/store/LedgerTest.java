package io.micromesh.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micromesh.core.accounting.EnergyMethod;
import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.dispatch.Lane;
import io.micromesh.testkit.FakeClock;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The usage ledger on a real SQLite file and a real PostgreSQL server: totals are the sums of the
 * records handed over from many threads, closing writes every waiting record, records wait while
 * the store is down and none is lost, and old records are pruned.
 */
@Timeout(180)
class LedgerTest {

    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
    private static final AtomicInteger IDS = new AtomicInteger();

    @TempDir
    Path dir;

    private Database store(String kind) {
        return StoreFixture.fresh(kind, dir.resolve("state-" + IDS.incrementAndGet()));
    }

    static UsageRecord record(Instant at, String key, String model, long prompt, long completion, double cost, double wh) {
        return new UsageRecord("req-" + IDS.incrementAndGet(), at, key, "", "", "direct", model, "", Lane.INTERACTIVE, "",
                prompt, completion, 0, false, 0, 2_000_000, -1, UsageRecord.OK, cost, wh, EnergyMethod.PER_TOKEN, List.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void totalsAreTheSumsOfTheRecordsHandedOverFromManyThreads(String kind) throws Exception {
        try (Database db = store(kind)) {
            Ledger ledger = new Ledger(db, Clock.fixed(NOW, java.time.ZoneOffset.UTC), Duration.ofDays(400));
            Map<String, long[]> tokens = new java.util.concurrent.ConcurrentHashMap<>();
            Map<String, double[]> costs = new java.util.concurrent.ConcurrentHashMap<>();
            List<Thread> threads = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String key = "key-" + t % 2;
                threads.add(Thread.ofVirtual().start(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < 500; i++) {
                        String model = "model-" + random.nextInt(3);
                        long prompt = random.nextLong(1, 5000);
                        long completion = random.nextLong(0, 800);
                        double cost = prompt * 1e-7 + completion * 4e-7;
                        double wh = (prompt + completion) * 1e-5;
                        ledger.record(record(NOW.minusSeconds(random.nextInt(3600)), key, model, prompt, completion, cost, wh));
                        synchronized (tokens) {
                            long[] sum = tokens.computeIfAbsent(model + "|" + key, m -> new long[3]);
                            sum[0]++;
                            sum[1] += prompt;
                            sum[2] += completion;
                            double[] money = costs.computeIfAbsent(model + "|" + key, m -> new double[2]);
                            money[0] += cost;
                            money[1] += wh;
                        }
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
            assertThat(ledger.awaitWritten(Duration.ofSeconds(60))).isTrue();
            List<UsageTotal> byModel = ledger.totals(UsageTotal.GroupBy.MODEL, NOW.minusSeconds(7200), NOW.plusSeconds(1),
                    Optional.empty());
            assertThat(byModel).hasSize(3);
            for (UsageTotal total : byModel) {
                long[] expected = new long[3];
                double[] money = new double[2];
                for (String key : List.of("key-0", "key-1")) {
                    long[] sum = tokens.getOrDefault(total.group() + "|" + key, new long[3]);
                    double[] m = costs.getOrDefault(total.group() + "|" + key, new double[2]);
                    for (int i = 0; i < 3; i++) {
                        expected[i] += sum[i];
                    }
                    money[0] += m[0];
                    money[1] += m[1];
                }
                assertThat(new long[] {total.requests(), total.promptTokens(), total.completionTokens()}).containsExactly(expected);
                assertThat(total.costUsd()).isCloseTo(money[0], within(1e-9));
                assertThat(total.energyWh()).isCloseTo(money[1], within(1e-9));
            }
            assertThat(byModel.stream().mapToLong(UsageTotal::requests).sum()).isEqualTo(4000);
            List<UsageTotal> oneKey = ledger.totals(UsageTotal.GroupBy.KEY, NOW.minusSeconds(7200), NOW.plusSeconds(1),
                    Optional.of("key-1"));
            assertThat(oneKey).singleElement().satisfies(t -> {
                assertThat(t.group()).isEqualTo("key-1");
                assertThat(t.requests()).isEqualTo(2000);
            });
            assertThat(ledger.totals(UsageTotal.GroupBy.MODEL, NOW.plusSeconds(1), NOW.plusSeconds(60), Optional.empty()))
                    .as("nothing after the last record").isEmpty();
            ledger.close();
            assertThat(ledger.dropped()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void closingWritesEveryRecordStillWaiting(String kind) throws Exception {
        try (Database db = store(kind)) {
            Ledger ledger = new Ledger(db, Clock.systemUTC(), Duration.ofDays(400));
            for (int i = 0; i < 20_000; i++) {
                ledger.record(record(NOW, "k", "m", 10, 1, 0.001, 0.01));
            }
            ledger.close();  // as on SIGTERM: right after the last request
            Ledger reader = new Ledger(db, Clock.systemUTC(), Duration.ofDays(400));
            assertThat(reader.totals(UsageTotal.GroupBy.MODEL, NOW, NOW.plusSeconds(1), Optional.empty()))
                    .singleElement().satisfies(t -> assertThat(t.requests()).isEqualTo(20_000));
            reader.close();
        }
    }

    @Test
    void aReaderWaitingForTheRecordsCutsTheWritersLingerShort() throws Exception {
        try (Database db = store("sqlite")) {
            Ledger ledger = new Ledger(db, Clock.systemUTC(), Duration.ofDays(400));
            // the writer lingers LINGER_MS after a batch's first record; waiting half of that is enough
            // when the wait cuts the linger short (three tries, against a pause of the machine)
            boolean inTime = false;
            for (int i = 0; i < 3 && !inTime; i++) {
                ledger.record(record(NOW, "key-a", "m", 10, 1, 0.001, 0.01));
                inTime = ledger.awaitWritten(Duration.ofMillis(Ledger.LINGER_MS / 2));
            }
            assertThat(inTime).isTrue();
            ledger.close();
        }
    }

    @Test
    void recordsWaitWhileTheStoreIsDownAndNoneIsLost() throws Exception {
        try (Database db = store("postgresql")) {
            Ledger ledger = new Ledger(db, Clock.systemUTC(), Duration.ofDays(400));
            StoreFixture.postgres().stop();
            try {
                for (int i = 0; i < 100; i++) {
                    ledger.record(record(NOW, "k", "m", 10, 1, 0.001, 0.01));
                }
                assertThat(ledger.awaitWritten(Duration.ofSeconds(2))).as("nothing can be written now").isFalse();
            } finally {
                StoreFixture.postgres().restart();
            }
            assertThat(ledger.awaitWritten(Duration.ofSeconds(60))).isTrue();
            assertThat(ledger.totals(UsageTotal.GroupBy.MODEL, NOW, NOW.plusSeconds(1), Optional.empty()))
                    .singleElement().satisfies(t -> assertThat(t.requests()).isEqualTo(100));
            ledger.close();
        }
    }

    @Test
    void recordsOlderThanTheRetentionArePruned() throws Exception {
        try (Database db = store("sqlite")) {
            FakeClock clock = new FakeClock(NOW);
            Ledger writer = new Ledger(db, clock, Duration.ofDays(400));
            writer.record(record(NOW.minus(Duration.ofDays(10)), "k", "old", 1, 1, 0.1, 0.1));
            writer.record(record(NOW.minus(Duration.ofDays(1)), "k", "recent", 1, 1, 0.1, 0.1));
            writer.close();
            Ledger pruning = new Ledger(db, clock, Duration.ofDays(5));  // prunes when it first has nothing to write
            Instant longAgo = NOW.minus(Duration.ofDays(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            List<UsageTotal> left;
            do {
                Thread.sleep(100);
                left = pruning.totals(UsageTotal.GroupBy.MODEL, longAgo, NOW, Optional.empty());
            } while (left.size() > 1 && System.nanoTime() < deadline);
            assertThat(left).extracting(UsageTotal::group).containsExactly("recent");
            pruning.close();
        }
    }
}
