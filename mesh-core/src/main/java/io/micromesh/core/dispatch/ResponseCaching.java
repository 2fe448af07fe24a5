package io.micromesh.core.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.Json;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.cache.AnswerCache;
import io.micromesh.core.cache.CacheKey;
import io.micromesh.core.cache.SemanticIndex;
import io.micromesh.core.config.CacheSpec;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.routing.Router;
import io.micromesh.core.spi.SharedAnswers;
import io.micromesh.core.spi.TextEncoder;
import io.micromesh.core.spi.Usage;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The dispatcher's use of the response cache: whether a call may be answered from it, under which
 * key, and what is stored after a fresh answer. A request is cached when its route (or the model it
 * names) has {@code cache:}, it is a chat completion, it is deterministic (or the cache takes any
 * request), and the caller did not opt out ({@code x-mesh-cache}). Keys are per caller unless the
 * cache is shared. A semantic cache also finds the answer of a request identical but for the
 * wording of its last user message ({@link SemanticIndex}): that message is embedded with the
 * in-process encoder and compared with the stored ones.
 */
final class ResponseCaching {

    /**
     * What the cache says of a call before it is served.
     *
     * @param status {@code hit}, {@code miss}, {@code bypass}, or empty when nothing caches the request
     * @param key    its key, when the answer may be stored
     * @param spec   the cache's settings, when there is a cache
     * @param stored the stored answer, on a hit
     * @param group  a semantic cache's group of the request (all but its last user message), else null
     * @param vector a semantic cache's embedding of the last user message, else null
     */
    record Lookup(String status, CacheKey key, CacheSpec spec, AnswerCache.Stored stored, String group, float[] vector) {

        static final Lookup NONE = new Lookup("", null, null, null, null, null);

        Lookup(String status, CacheKey key, CacheSpec spec, AnswerCache.Stored stored) {
            this(status, key, spec, stored, null, null);
        }

        boolean hit() {
            return stored != null;
        }

        /** Whether a fresh answer is to be stored. */
        boolean stores() {
            return key != null;
        }
    }

    private static final System.Logger LOG = System.getLogger("io.micromesh.cache");

    private final AnswerCache cache;
    private final SemanticIndex index;
    private final Optional<SharedAnswers> shared;
    private final Router router;
    private final Portfolio portfolio;
    private final Clock clock;

    ResponseCaching(AnswerCache cache, SemanticIndex index, Optional<SharedAnswers> shared, Router router,
                    Portfolio portfolio, Clock clock) {
        this.cache = cache;
        this.index = index;
        this.shared = shared;
        this.router = router;
        this.portfolio = portfolio;
        this.clock = clock;
    }

    /** The answer for {@code key}: from memory, else (for a cache kept in the store) from the store, then kept in memory. */
    private Optional<AnswerCache.Stored> find(CacheKey key, CacheSpec spec) {
        Optional<AnswerCache.Stored> inMemory = cache.get(key);
        if (inMemory.isPresent() || !spec.store() || shared.isEmpty()) {
            return inMemory;
        }
        try {
            Optional<AnswerCache.Stored> stored = shared.get().get(key);
            stored.ifPresent(answer -> cache.put(key, answer));
            return stored;
        } catch (RuntimeException e) {
            // the store is down: the cache serves from memory alone, and the request is served
            LOG.log(System.Logger.Level.WARNING, "the response cache cannot read the store: " + e.getMessage());
            return Optional.empty();
        }
    }

    Lookup lookup(Call call) {
        if (!(call.request() instanceof ChatRequest chat) || !call.caller().grant().allows(chat.model())) {
            return Lookup.NONE;  // a key that may not use the name is refused on the usual path, never served a stored answer
        }
        String name = chat.model();
        Optional<RouteSpec> route = router.route(name);
        Optional<CacheSpec> spec = route.isPresent() ? route.map(RouteSpec::cache)
                : portfolio.model(name).flatMap(model -> model.spec().cache());
        if (spec.isEmpty()) {
            return Lookup.NONE;
        }
        if (call.cache() == Call.CacheDirective.NO_STORE || !spec.get().anyRequest() && !CacheKey.deterministic(chat.body())) {
            return new Lookup(UsageRecord.CACHE_BYPASS, null, spec.get(), null);
        }
        String scope = spec.get().shared() ? "*" : call.caller().keyId();
        CacheKey key = CacheKey.of(name, scope, chat.body());
        boolean fresh = call.cache() == Call.CacheDirective.NO_CACHE;
        Optional<AnswerCache.Stored> exact = fresh ? Optional.empty() : find(key, spec.get());
        if (exact.isPresent()) {
            return new Lookup(UsageRecord.CACHE_HIT, key, spec.get(), exact.get());
        }
        String status = fresh ? UsageRecord.CACHE_BYPASS : UsageRecord.CACHE_MISS;
        Optional<TextEncoder> encoder = spec.get().semantic() ? encoder(spec.get()) : Optional.empty();
        String text = lastUserText(chat.body());
        if (encoder.isEmpty() || text.isBlank()) {
            return new Lookup(status, key, spec.get(), null);
        }
        float[] vector = encoder.get().embed(text);
        String group = CacheKey.of(name, scope, withoutLastUserText(chat.body())).digest();
        if (!fresh) {
            Optional<AnswerCache.Stored> near = index.nearest(group, vector, spec.get().threshold())
                    .flatMap(nearest -> find(nearest.answer(), spec.get()));
            if (near.isPresent()) {
                return new Lookup(UsageRecord.CACHE_HIT, key, spec.get(), near.get(), group, vector);
            }
        }
        return new Lookup(status, key, spec.get(), null, group, vector);
    }

    /** The encoder of a semantic cache: the one named, or the portfolio's only one. */
    private Optional<TextEncoder> encoder(CacheSpec spec) {
        List<TextEncoder> encoders = portfolio.models().stream()
                .filter(model -> spec.encoder() == null || model.id().equals(spec.encoder()))
                .map(ServedModel::backend).filter(TextEncoder.class::isInstance).map(TextEncoder.class::cast).toList();
        return encoders.size() == 1 ? Optional.of(encoders.getFirst()) : Optional.empty();
    }

    /** The text of the request's last user message ("" when it has none). */
    static String lastUserText(ObjectNode body) {
        JsonNode last = lastUser(body.path("messages"));
        if (last == null) {
            return "";
        }
        JsonNode content = last.path("content");
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        content.forEach(part -> text.append(part.path("text").asText("")).append(' '));
        return text.toString().strip();
    }

    /** The request with its last user message emptied: what must be identical for a semantic hit. */
    static ObjectNode withoutLastUserText(ObjectNode body) {
        ObjectNode copy = body.deepCopy();
        JsonNode last = lastUser(copy.path("messages"));
        if (last instanceof ObjectNode message) {
            message.put("content", "");
        }
        return copy;
    }

    private static JsonNode lastUser(JsonNode messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).path("role").asText().equals("user")) {
                return messages.get(i);
            }
        }
        return null;
    }

    /** Stores a fresh answer (the body as the client got it) with what it cost. */
    void store(Lookup lookup, byte[] body, Served served, UsageRecord record) {
        if (!lookup.stores() || !record.ok()) {
            return;
        }
        AnswerCache.Stored stored = new AnswerCache.Stored(body, served.model(), record.energyMethod(),
                new Usage(record.promptTokens(), record.completionTokens()), record.costUsd(), record.energyWh(),
                Duration.ofSeconds(lookup.spec().ttlS()));
        cache.put(lookup.key(), stored);
        if (lookup.spec().store() && shared.isPresent()) {
            try {
                shared.get().put(lookup.key(), stored, clock.instant().plus(stored.ttl()));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "the response cache cannot write the store: " + e.getMessage());
            }
        }
        if (lookup.vector() != null) {
            index.add(lookup.group(), lookup.vector(), lookup.key());
        }
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
}
