package io.micromesh.core.dispatch;

import io.micromesh.core.MeshException;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.accounting.EnergyMethod;
import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.accounting.UsageRecord.Attempt;
import io.micromesh.core.routing.Decision;
import io.micromesh.core.spi.Usage;
import io.micromesh.core.spi.UsageSink;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * What one request did, gathered while the dispatcher serves it, and its {@link UsageRecord} once it
 * is over (handed to the usage sink exactly once). A failed attempt that carries detail for the
 * operator (which replica, what it sent; see {@link MeshException#detail()}) is logged here with the
 * request's id, since that detail never reaches the client. Used by the request's thread only.
 */
final class Trail {

    private static final System.Logger LOG = System.getLogger("io.micromesh.dispatch");

    private final UsageSink sink;
    private final LongSupplier nanos;
    private final String requestId;
    private final Instant at;
    private final Caller caller;
    private String task;  // the request's, or the one its route's task rules named
    private final Lane lane;
    private final long arrivedNanos;
    private final List<Attempt> attempts = new ArrayList<>();
    private String route = "";
    private String policy = "direct";
    private Served served;
    private String replica = "";
    private Usage answerTokens = Usage.NONE;
    private EnergyMethod energyMethod = EnergyMethod.NONE;
    private double costUsd;
    private double energyWh;
    private double audioSeconds;
    private long firstChunkNanos = -1;
    private String cache = "";
    private double savedCostUsd;
    private double savedEnergyWh;
    private UsageRecord finished;

    Trail(UsageSink sink, LongSupplier nanos, Instant at, String requestId, Caller caller, String task, Lane lane,
          long arrivedNanos) {
        this.sink = sink;
        this.nanos = nanos;
        this.at = at;
        this.requestId = requestId;
        this.caller = caller;
        this.task = task == null ? "" : task;
        this.lane = lane;
        this.arrivedNanos = arrivedNanos;
    }

    void routed(Decision decision) {
        route = decision.route();
        policy = decision.policy().key();
        if (task.isEmpty() && decision.task() != null) {
            task = decision.task();
        }
    }

    /** A route's request served without its policy (from the response cache: {@code cache}). */
    void routedTo(String routeName, String how) {
        route = routeName;
        policy = how;
    }

    /** An attempt starts on {@code next}. */
    void trying(Served next) {
        served = next;
        replica = "";
    }

    /** The served model's account after a cascade settled on it (the replica stays the answer's). */
    void settle(Served settled) {
        served = settled;
    }

    /** Cost and energy of every call so far, with the answer's energy method. */
    Charge total() {
        return new Charge(costUsd, energyWh, energyMethod);
    }

    /** Prompt and completion tokens of every call so far. */
    long tokensUsed() {
        return attempts.stream().mapToLong(attempt -> attempt.tokens().total()).sum();
    }

        Optional<Served> served() {
        return Optional.ofNullable(served);
    }

    /** A call for the answer returned this; it is the answer unless a later one replaces it. */
    void answered(String model, String from, Usage tokens, Charge charge, String verdict) {
        add(new Attempt(model, from, UsageRecord.Kind.ANSWER, tokens, charge, UsageRecord.OK, verdict));
        replica = from;
        answerTokens = tokens;
        energyMethod = charge.method();
    }

    /** A call for the answer failed. */
    void failed(String model, MeshException failure) {
        failure.detail().ifPresent(detail -> LOG.log(System.Logger.Level.WARNING, "request " + requestId + ": "
                + failure.getMessage() + " [" + key(failure) + "; " + detail + "]"));
        add(new Attempt(model, replica, UsageRecord.Kind.ANSWER, Usage.NONE, new Charge(0, 0, EnergyMethod.NONE),
                key(failure), ""));
    }

    /** A call made to check an answer. */
    void checked(String model, Usage tokens, Charge charge) {
        add(new Attempt(model, "", UsageRecord.Kind.CHECK, tokens, charge, UsageRecord.OK, ""));
    }

    /** The replica serving the attempt under way. */
    void servedBy(String from) {
        replica = from;
    }

    void firstChunk() {
        if (firstChunkNanos < 0) {
            firstChunkNanos = nanos.getAsLong();
        }
    }

    void audio(double seconds) {
        audioSeconds = seconds;
    }

    /** The response cache's part in the request ({@code hit}, {@code miss}, {@code bypass}). */
    void cache(String status) {
        cache = status;
    }

    /** A cache hit: the answer's tokens as stored, and what the stored answer had cost. */
    void hit(Usage tokens, EnergyMethod method, double savedCost, double savedEnergy) {
        cache = UsageRecord.CACHE_HIT;
        answerTokens = tokens;
        energyMethod = method;
        savedCostUsd = savedCost;
        savedEnergyWh = savedEnergy;
    }

    /** What a cache hit itself cost: its price and the lookup's energy. */
    void hitCharge(Charge charge) {
        costUsd += charge.costUsd();
        energyWh += charge.energyWh();
    }

    /** The record of the request, handed to the sink the first time; the same record after. */
    UsageRecord finish(String status) {
        if (finished == null) {
            finished = new UsageRecord(requestId, at, caller.keyId(), caller.workflowId(), route, policy, served == null ? "" : served.model(), replica,
                    lane, task, answerTokens.prompt(), answerTokens.completion(), answerTokens.cachedPrompt(), answerTokens.estimated(), audioSeconds,
                    nanos.getAsLong() - arrivedNanos, firstChunkNanos < 0 ? -1 : firstChunkNanos - arrivedNanos, status,
                    costUsd, energyWh, energyMethod, attempts, cache, savedCostUsd, savedEnergyWh);
            sink.record(finished);
        }
        return finished;
    }

    /** A failed request's outcome. */
    Outcome.Failed failedWith(MeshException failure) {
        return new Outcome.Failed(failure, served(), finish(key(failure)));
    }

    static String key(MeshException failure) {
        return failure.failure().name().toLowerCase(Locale.ROOT);
    }

    private void add(Attempt attempt) {
        attempts.add(attempt);
        costUsd += attempt.charge().costUsd();
        energyWh += attempt.charge().energyWh();
    }
}
