package io.micromesh.core.dispatch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.Json;
import io.micromesh.api.JsonBody;
import io.micromesh.core.Portfolio;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.cache.AnswerCache;
import io.micromesh.core.cache.CacheKey;
import io.micromesh.core.config.CacheSpec;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.routing.Router;
import io.micromesh.core.spi.Usage;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * The dispatcher's use of the response cache: whether a call may be answered from it, under which
 * key, and what is stored after a fresh answer. A request is cached when its route (or the model it
 * names) has {@code cache:}, it is a chat completion, it is deterministic (or the cache takes any
 * request), and the caller did not opt out ({@code x-mesh-cache}). Keys are per caller unless the
 * cache is shared.
 */
final class ResponseCaching {

    /**
     * What the cache says of a call before it is served.
     *
     * @param status {@code hit}, {@code miss}, {@code bypass}, or empty when nothing caches the request
     * @param key    its key, when the answer may be stored
     * @param spec   the cache's settings, when there is a cache
     * @param stored the stored answer, on a hit
     */
    record Lookup(String status, CacheKey key, CacheSpec spec, AnswerCache.Stored stored) {

        static final Lookup NONE = new Lookup("", null, null, null);

        boolean hit() {
            return stored != null;
        }

        /** Whether a fresh answer is to be stored. */
        boolean stores() {
            return key != null;
        }
    }

    private final AnswerCache cache;
    private final Router router;
    private final Portfolio portfolio;

    ResponseCaching(AnswerCache cache, Router router, Portfolio portfolio) {
        this.cache = cache;
        this.router = router;
        this.portfolio = portfolio;
    }

    Lookup lookup(Call call) {
        if (!(call.request() instanceof ChatRequest chat)) {
            return Lookup.NONE;
        }
        String name = chat.model();
        Optional<CacheSpec> spec = router.route(name).isPresent() ? router.route(name).map(RouteSpec::cache)
                : portfolio.model(name).flatMap(model -> model.spec().cache());
        if (spec.isEmpty()) {
            return Lookup.NONE;
        }
        if (call.cache() == Call.CacheDirective.NO_STORE || !spec.get().anyRequest() && !CacheKey.deterministic(chat.body())) {
            return new Lookup(UsageRecord.CACHE_BYPASS, null, spec.get(), null);
        }
        CacheKey key = CacheKey.of(name, spec.get().shared() ? "*" : call.caller().keyId(), chat.body());
        if (call.cache() == Call.CacheDirective.NO_CACHE) {
            return new Lookup(UsageRecord.CACHE_BYPASS, key, spec.get(), null);
        }
        return cache.get(key).map(stored -> new Lookup(UsageRecord.CACHE_HIT, key, spec.get(), stored))
                .orElseGet(() -> new Lookup(UsageRecord.CACHE_MISS, key, spec.get(), null));
    }

    /** Stores a fresh answer (the body as the client got it) with what it cost. */
    void store(Lookup lookup, byte[] body, Served served, UsageRecord record) {
        if (!lookup.stores() || !record.ok()) {
            return;
        }
        cache.put(lookup.key(), new AnswerCache.Stored(body, served.model(), record.energyMethod(),
                new Usage(record.promptTokens(), record.completionTokens()), record.costUsd(), record.energyWh(),
                Duration.ofSeconds(lookup.spec().ttlS())));
    }

    /** The stored answer as the client gets it on a hit: what the hit cost, and what the answer had cost. */
    static ObjectNode answerOfHit(AnswerCache.Stored stored, Charge hit) {
        ObjectNode answer;
        try {
            answer = (ObjectNode) Json.mapper().readTree(stored.body());
        } catch (IOException | ClassCastException e) {
            throw new IllegalStateException("the cache holds an answer it did not write", e);
        }
        ObjectNode usage = answer.withObject("/usage");
        if (!usage.has("prompt_tokens")) {  // a streamed answer without its usage chunk: the counts as recorded
            usage.put("prompt_tokens", stored.tokens().prompt()).put("completion_tokens", stored.tokens().completion())
                    .put("total_tokens", stored.tokens().total());
        }
        usage.put("cost_usd", hit.costUsd()).put("energy_wh", hit.energyWh())
                .put("saved_cost_usd", stored.costUsd()).put("saved_energy_wh", stored.energyWh());
        return answer;
    }

    static JsonBody body(ObjectNode answer) {
        return JsonBody.of(answer);
    }
}
