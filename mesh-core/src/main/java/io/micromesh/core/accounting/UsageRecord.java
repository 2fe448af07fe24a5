package io.micromesh.core.accounting;

import io.micromesh.core.dispatch.Lane;
import io.micromesh.core.spi.Usage;
import java.time.Instant;
import java.util.List;

/**
 * What one client request (or batch item) used, as the dispatcher saw it end to end: one record per
 * request, written once it is over, whatever its outcome. Its totals ({@code costUsd},
 * {@code energyWh}) are those of every call the request took — fallbacks that failed, cascade
 * answers that a check rejected, the checks' own calls — each listed in {@link #attempts}; its
 * tokens are those of the answer the client got.
 *
 * @param requestId        the request's id ({@code x-request-id}, or a batch item's)
 * @param at               when the request arrived
 * @param keyId            who asked: the id of the caller's API key, {@code anonymous} without one
 * @param workflowId       the agent workflow ({@code x-mesh-workflow}) it belongs to, empty when none
 * @param route            the route asked for, or empty when the request named a model
 * @param policy           the route's policy, {@code direct} when the request named a model
 * @param model            the model that answered (or the last one tried), empty when none was
 * @param replica          the replica that answered, empty when unknown or the model has one
 * @param lane             the priority lane it was admitted in
 * @param task             the {@code x-mesh-task} label, empty when none
 * @param promptTokens     prompt tokens of the answer
 * @param completionTokens completion tokens of the answer
 * @param cachedTokens     of the prompt tokens, those the upstream served from its prompt cache
 * @param tokensEstimated  whether the answer's tokens are micromesh's estimate (the upstream reported none)
 * @param audioSeconds     seconds of audio transcribed, 0 for text
 * @param latencyNanos     from arrival to the end of the answer
 * @param ttftNanos        from arrival to the first streamed chunk, -1 when nothing was streamed
 * @param status           {@code ok}, {@code client_gone}, or the failure in lower case ({@code queue_full} ...)
 * @param costUsd          US dollars, every attempt together
 * @param energyWh         watt-hours, every attempt together
 * @param energyMethod     how the answer's energy was obtained
 * @param attempts         every model call the request made, in order
 * @param cache            the response cache's part: {@code hit}, {@code miss}, {@code bypass}, or empty when
 *                         the request's model or route caches nothing
 * @param savedCostUsd     for a hit, what the original answer cost (what caching saved); else 0
 * @param savedEnergyWh    for a hit, the original answer's energy; else 0
 */
public record UsageRecord(String requestId, Instant at, String keyId, String workflowId, String route, String policy, String model,
                          String replica, Lane lane, String task, long promptTokens, long completionTokens, long cachedTokens,
                          boolean tokensEstimated,
                          double audioSeconds, long latencyNanos, long ttftNanos, String status, double costUsd,
                          double energyWh, EnergyMethod energyMethod, List<Attempt> attempts, String cache,
                          double savedCostUsd, double savedEnergyWh) {

    /** The status of a request that was answered. */
    public static final String OK = "ok";
    /** The status of a streamed request whose client went away. */
    public static final String CLIENT_GONE = "client_gone";

    public UsageRecord {
        attempts = List.copyOf(attempts);
        cache = cache == null ? "" : cache;
    }

    /** A request that no cache looked at. */
    public UsageRecord(String requestId, Instant at, String keyId, String workflowId, String route, String policy,
                       String model, String replica, Lane lane, String task, long promptTokens, long completionTokens,
                       long cachedTokens, boolean tokensEstimated, double audioSeconds, long latencyNanos, long ttftNanos,
                       String status, double costUsd, double energyWh, EnergyMethod energyMethod, List<Attempt> attempts) {
        this(requestId, at, keyId, workflowId, route, policy, model, replica, lane, task, promptTokens, completionTokens,
                cachedTokens, tokensEstimated, audioSeconds, latencyNanos, ttftNanos, status, costUsd, energyWh, energyMethod,
                attempts, "", 0, 0);
    }

    /** The cache's answer to a request. */
    public static final String CACHE_HIT = "hit";
    /** The cache had no answer; the request was served and its answer stored. */
    public static final String CACHE_MISS = "miss";
    /** The request was not looked up ({@code x-mesh-cache: no-cache}, or it samples). */
    public static final String CACHE_BYPASS = "bypass";

    /** What kind of call an attempt was. */
    public enum Kind {
        /** A call for the answer: it answered, failed, or gave an answer a check rejected. */
        ANSWER,
        /** A call made to check an answer (a second sample, a judge). */
        CHECK
    }

    /**
     * One model call of a request.
     *
     * @param model   the model called
     * @param replica the replica that answered, empty when unknown
     * @param kind    what the call was for
     * @param tokens  what it used
     * @param charge  what it cost
     * @param result  {@code ok}, or the failure in lower case
     * @param verdict for an answer a cascade checked, {@code passed} or the check it failed; else empty
     */
    public record Attempt(String model, String replica, Kind kind, Usage tokens, Charge charge, String result,
                          String verdict) {
    }

    /** Whether the request was answered. */
    public boolean ok() {
        return status.equals(OK);
    }
}
