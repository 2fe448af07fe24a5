package io.micromesh.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micromesh.core.MeshException;
import io.micromesh.core.accounting.Grant;
import io.micromesh.core.accounting.Period;
import io.micromesh.core.accounting.Spending;
import io.micromesh.core.dispatch.Caller;
import io.micromesh.testkit.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.DoubleAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Budgets and limits on a real SQLite file and a real PostgreSQL server: a hundred concurrent
 * requests never spend past a budget, on one instance or two sharing PostgreSQL; rate and
 * concurrency limits; workflow caps; expired reservations counted in full; the store down fails closed.
 */
@Timeout(180)
class BudgetsTest {

    private static final Instant NOW = Instant.parse("2026-12-04T12:00:30Z");

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(NOW);

    private static Grant budget(double usd) {
        return new Grant(Set.of(), usd, null, Period.DAY, null, null, null);
    }

    /** A hundred requests at once, each reserving up to $0.05 against a $1 budget, then spending less. */
    private static void spendConcurrently(List<Budgets> instances, Caller caller, AtomicInteger served, DoubleAdder spent)
            throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> requests = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Budgets budgets = instances.get(i % instances.size());
            requests.add(Thread.ofVirtual().start(() -> {
                try {
                    start.await();
                    Spending.Hold hold = budgets.reserve(caller, new Spending.Estimate(0.05, 0, 100));
                    served.incrementAndGet();
                    double actual = ThreadLocalRandom.current().nextDouble(0.01, 0.05);
                    Thread.sleep(ThreadLocalRandom.current().nextInt(5));
                    hold.settle(actual, 0, 50);
                    spent.add(actual);
                } catch (MeshException e) {
                    assertThat(e.failure()).isEqualTo(MeshException.Failure.BUDGET_EXCEEDED);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        start.countDown();
        for (Thread request : requests) {
            request.join();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aHundredConcurrentRequestsNeverSpendPastTheBudget(String kind) throws Exception {
        try (Database db = StoreFixture.fresh(kind, dir); Budgets budgets = new Budgets(db, clock, Duration.ofMinutes(5))) {
            KeyStore.ApiKey key = new KeyStore(db, clock).create("team-a", budget(1.0)).key();
            Caller caller = new Caller(key.id(), "", key.grant(), Caller.Cap.NONE);
            AtomicInteger served = new AtomicInteger();
            DoubleAdder spent = new DoubleAdder();
            spendConcurrently(List.of(budgets), caller, served, spent);
            Budgets.Spend spend = budgets.keySpend(key.id(), Period.DAY);
            assertThat(spend.spentUsd()).isLessThanOrEqualTo(1.0 + 1e-9).isCloseTo(spent.sum(), org.assertj.core.api.Assertions.within(1e-9));
            assertThat(spend.reservedUsd()).isCloseTo(0, org.assertj.core.api.Assertions.within(1e-9));
            assertThat(served.get()).as("at least a budget's worth at the largest reservation").isGreaterThanOrEqualTo(20);
            assertThat(served.get()).isLessThan(100);
        }
    }

    @Test
    void twoInstancesSharingPostgresqlNeverSpendPastTheBudgetTogether() throws Exception {
        try (Database first = StoreFixture.fresh("postgresql", dir); Database second = StoreFixture.secondInstance(dir);
             Budgets one = new Budgets(first, clock, Duration.ofMinutes(5));
             Budgets other = new Budgets(second, clock, Duration.ofMinutes(5))) {
            KeyStore.ApiKey key = new KeyStore(first, clock).create("team-b", budget(1.0)).key();
            Caller caller = new Caller(key.id(), "", key.grant(), Caller.Cap.NONE);
            AtomicInteger served = new AtomicInteger();
            DoubleAdder spent = new DoubleAdder();
            spendConcurrently(List.of(one, other), caller, served, spent);
            assertThat(other.keySpend(key.id(), Period.DAY).spentUsd()).isLessThanOrEqualTo(1.0 + 1e-9)
                    .isCloseTo(spent.sum(), org.assertj.core.api.Assertions.within(1e-9));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void requestsAndTokensPerMinuteAndRequestsAtOnceAreLimited(String kind) throws Exception {
        try (Database db = StoreFixture.fresh(kind, dir); Budgets budgets = new Budgets(db, clock, Duration.ofMinutes(5))) {
            KeyStore keys = new KeyStore(db, clock);
            KeyStore.ApiKey perMinute = keys.create("rpm", new Grant(Set.of(), null, null, null, 3L, 1000L, null)).key();
            Caller caller = new Caller(perMinute.id(), "", perMinute.grant(), Caller.Cap.NONE);
            for (int i = 0; i < 3; i++) {
                budgets.reserve(caller, new Spending.Estimate(0, 0, 100)).settle(0, 0, 10);
            }
            assertThatThrownBy(() -> budgets.reserve(caller, new Spending.Estimate(0, 0, 100)))
                    .isInstanceOfSatisfying(MeshException.class, e -> {
                        assertThat(e.failure()).isEqualTo(MeshException.Failure.RATE_LIMITED);
                        assertThat(e.getMessage()).contains("3 requests");
                        assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));  // the minute ends at 12:01:00
                    });
            clock.advance(Duration.ofSeconds(30));
            budgets.reserve(caller, new Spending.Estimate(0, 0, 100)).settle(0, 0, 10);
            assertThatThrownBy(() -> budgets.reserve(caller, new Spending.Estimate(0, 0, 5000)))
                    .hasMessageContaining("more than the key's 1000 tokens per minute");

            KeyStore.ApiKey atOnce = keys.create("two at once", new Grant(Set.of(), null, null, null, null, null, 2L)).key();
            Caller parallel = new Caller(atOnce.id(), "", atOnce.grant(), Caller.Cap.NONE);
            Spending.Hold first = budgets.reserve(parallel, new Spending.Estimate(0, 0, 1));
            budgets.reserve(parallel, new Spending.Estimate(0, 0, 1));
            assertThatThrownBy(() -> budgets.reserve(parallel, new Spending.Estimate(0, 0, 1)))
                    .hasMessageContaining("2 requests in flight");
            first.settle(0, 0, 1);
            budgets.reserve(parallel, new Spending.Estimate(0, 0, 1));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aWorkflowIsStoppedAtItsCapNotAfter(String kind) throws Exception {
        try (Database db = StoreFixture.fresh(kind, dir); Budgets budgets = new Budgets(db, clock, Duration.ofMinutes(5))) {
            Caller agent = new Caller("anonymous", "task-42", Grant.UNLIMITED, new Caller.Cap(0.10, null));
            Spending.Hold a = budgets.reserve(agent, new Spending.Estimate(0.04, 0, 1));
            Spending.Hold b = budgets.reserve(agent, new Spending.Estimate(0.04, 0, 1));
            assertThatThrownBy(() -> budgets.reserve(agent, new Spending.Estimate(0.04, 0, 1)))
                    .isInstanceOfSatisfying(MeshException.class, e -> {
                        assertThat(e.failure()).isEqualTo(MeshException.Failure.BUDGET_EXCEEDED);
                        assertThat(e.getMessage()).contains("workflow 'task-42'");
                    });
            a.settle(0.01, 0, 1);
            b.settle(0.01, 0, 1);
            budgets.reserve(agent, new Spending.Estimate(0.04, 0, 1)).settle(0.04, 0, 1);
            assertThat(budgets.workflowSpend("anonymous", "task-42").spentUsd()).isCloseTo(0.06,
                    org.assertj.core.api.Assertions.within(1e-12));
            Caller otherWorkflow = new Caller("anonymous", "task-43", Grant.UNLIMITED, new Caller.Cap(0.10, null));
            budgets.reserve(otherWorkflow, new Spending.Estimate(0.09, 0, 1));
        }
    }

    @Test
    void aReservationWhoseGatewayNeverSettledItCountsInFullOnceExpired() throws Exception {
        try (Database db = StoreFixture.fresh("sqlite", dir); Budgets budgets = new Budgets(db, clock, Duration.ofMinutes(1))) {
            KeyStore.ApiKey key = new KeyStore(db, clock).create("crashy", budget(1.0)).key();
            Caller caller = new Caller(key.id(), "", key.grant(), Caller.Cap.NONE);
            budgets.reserve(caller, new Spending.Estimate(0.3, 0, 1));  // never settled: its gateway "died"
            clock.advance(Duration.ofMinutes(2));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (budgets.keySpend(key.id(), Period.DAY).spentUsd() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            Budgets.Spend spend = budgets.keySpend(key.id(), Period.DAY);
            assertThat(spend.spentUsd()).isCloseTo(0.3, org.assertj.core.api.Assertions.within(1e-12));
            assertThat(spend.reservedUsd()).isCloseTo(0, org.assertj.core.api.Assertions.within(1e-12));
        }
    }

    @Test
    void withTheStoreDownLimitedCallersAreRefusedAndOthersNeedNothing() throws Exception {
        try (Database db = StoreFixture.fresh("postgresql", dir); Budgets budgets = new Budgets(db, clock, Duration.ofMinutes(1))) {
            KeyStore.ApiKey key = new KeyStore(db, clock).create("budgeted", budget(1.0)).key();
            Caller budgeted = new Caller(key.id(), "", key.grant(), Caller.Cap.NONE);
            StoreFixture.postgres().stop();
            try {
                assertThatThrownBy(() -> budgets.reserve(budgeted, new Spending.Estimate(0.1, 0, 1)))
                        .isInstanceOfSatisfying(MeshException.class,
                                e -> assertThat(e.failure()).isEqualTo(MeshException.Failure.STORE_UNAVAILABLE));
                assertThat(budgets.reserve(Caller.key("free"), new Spending.Estimate(0.1, 0, 1))).isSameAs(Spending.Hold.NONE);
            } finally {
                StoreFixture.postgres().restart();
            }
        }
    }
}
