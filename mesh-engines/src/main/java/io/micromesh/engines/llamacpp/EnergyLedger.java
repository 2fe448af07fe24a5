package io.micromesh.engines.llamacpp;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Attributes a worker's measured CPU time (and RAPL energy, when readable) to the requests it
 * serves, by their share of the tokens processed. Time runs in intervals that end whenever a
 * request finishes; the CPU time and energy of an interval are split among the requests that were
 * active in it, in proportion to the prompt and generated tokens each processed in it. A short
 * pause with no request active (at most {@link #IDLE_CARRY}, as between back-to-back requests of
 * a busy run, while the HTTP layer reads the next one) stays in the interval and is billed to the
 * requests that follow, so the shares of a run add up to what the meters read over it; what the
 * process uses in a longer idle spell is nobody's request and is counted as
 * {@linkplain #unattributedCpuSeconds() unattributed}. Thread-safe.
 */
public final class EnergyLedger {

    /** Reads a cumulative meter: process CPU nanoseconds, or energy in joules. */
    @FunctionalInterface
    public interface Meter {
        double read();
    }

    /** A request's account: open from {@link #open} until {@link #close}. */
    public final class Account {
        private long tokensInInterval;
        private double cpuSeconds;
        private double joules;

        private Account() {
        }

        /** Counts tokens this request processed (its prompt at the start, then each generated token). */
        public void tokens(long count) {
            synchronized (EnergyLedger.this) {
                tokensInInterval += count;
            }
        }
    }

    /** What a closed account was charged. */
    public record Share(double cpuSeconds, double joules) {
    }

    /** The longest pause between requests whose CPU time is still billed to the next ones. */
    public static final Duration IDLE_CARRY = Duration.ofSeconds(1);

    private final Meter cpuSecondsMeter;
    private final Meter joulesMeter;
    private final Clock clock;
    private Instant idleSince;
    private final Set<Account> active = new LinkedHashSet<>();
    private double cpuAtBoundary;
    private double joulesAtBoundary;
    private double unattributedCpu;

    /**
     * @param cpuSecondsMeter the process's cumulative CPU time in seconds
     * @param joulesMeter     cumulative energy in joules, or {@code null} when there is no energy counter
     * @param clock           tells how long the process was idle
     */
    public EnergyLedger(Meter cpuSecondsMeter, Meter joulesMeter, Clock clock) {
        this.cpuSecondsMeter = cpuSecondsMeter;
        this.joulesMeter = joulesMeter;
        this.clock = clock;
        this.idleSince = clock.instant();
        this.cpuAtBoundary = cpuSecondsMeter.read();
        this.joulesAtBoundary = joulesMeter == null ? 0 : joulesMeter.read();
    }

    /** Whether energy is measured (RAPL), not only CPU time. */
    public boolean measuresEnergy() {
        return joulesMeter != null;
    }

    /** Opens the account of a request that starts now. */
    public synchronized Account open() {
        if (active.isEmpty() && Duration.between(idleSince, clock.instant()).compareTo(IDLE_CARRY) > 0) {
            // what the process used in a long idle spell is nobody's request
            double cpu = cpuSecondsMeter.read();
            unattributedCpu += cpu - cpuAtBoundary;
            cpuAtBoundary = cpu;
            joulesAtBoundary = joulesMeter == null ? 0 : joulesMeter.read();
        }
        Account account = new Account();
        active.add(account);
        return account;
    }

    /** Ends the current interval, closes the account and answers its accumulated share. */
    public synchronized Share close(Account account) {
        if (!active.contains(account)) {
            throw new IllegalStateException("account already closed");
        }
        endInterval();
        active.remove(account);
        if (active.isEmpty()) {
            idleSince = clock.instant();
        }
        return new Share(account.cpuSeconds, account.joules);
    }

    /** CPU seconds the process used in idle spells longer than {@link #IDLE_CARRY}. */
    public synchronized double unattributedCpuSeconds() {
        return unattributedCpu;
    }

    private void endInterval() {
        long tokens = 0;
        for (Account account : active) {
            tokens += account.tokensInInterval;
        }
        if (tokens == 0) {
            return;  // nothing processed yet: the interval goes on, to be split when tokens come
        }
        double cpu = cpuSecondsMeter.read();
        double joules = joulesMeter == null ? 0 : joulesMeter.read();
        double cpuUsed = Math.max(0, cpu - cpuAtBoundary);
        double joulesUsed = Math.max(0, joules - joulesAtBoundary);
        for (Account account : active) {
            double share = (double) account.tokensInInterval / tokens;
            account.cpuSeconds += cpuUsed * share;
            account.joules += joulesUsed * share;
            account.tokensInInterval = 0;
        }
        cpuAtBoundary = cpu;
        joulesAtBoundary = joules;
    }
}
