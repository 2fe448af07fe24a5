package io.micromesh.core.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.JsonBody;
import io.micromesh.api.MeshRequest;
import io.micromesh.api.Operation;
import io.micromesh.core.MeshException;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.accounting.EnergyMethod;
import io.micromesh.core.accounting.Spending;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.config.Capability;
import io.micromesh.core.config.RoutePolicy;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.config.ServerSettings;
import io.micromesh.core.routing.Decision;
import io.micromesh.core.routing.Fit;
import io.micromesh.core.routing.Learning;
import io.micromesh.core.routing.RequestFacts;
import io.micromesh.core.routing.Router;
import io.micromesh.core.routing.verify.AnswerVerifier;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ChunkSink;
import io.micromesh.core.spi.ClientGoneException;
import io.micromesh.core.spi.PcmAudio;
import io.micromesh.core.spi.SpeechBackend;
import io.micromesh.core.spi.Transcript;
import io.micromesh.core.spi.Usage;
import io.micromesh.core.spi.UsageSink;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * The one path every model call takes, from the HTTP edge and from batch jobs alike: given a
 * validated request (naming a model or a route) and its admission, it decides (the {@link Router},
 * whose constraints are the only fit checks a route needs; {@link Fit} for a model named directly),
 * calls the backend (whole or streamed) in the request's lane, falls back to the next candidate on a
 * retriable failure or escalates through a cascade, charges every call with the model's tariff,
 * learns (cascade verdicts, completions that feedback may name), and hands the request's one
 * {@link UsageRecord} to the {@link UsageSink}. It never throws for a request that cannot be served:
 * the outcome says so. Knows nothing of HTTP. Thread-safe; blocking: call it from virtual threads.
 */
public final class Dispatcher {

    private final Portfolio portfolio;
    private final Router router;
    private final Learning learning;
    private final UsageSink usage;
    private final Spending spending;
    private final Tracer tracer;
    private final Clock clock;
    private final LongSupplier nanos;
    private final ResponseCaching caching;

    private final Cascade cascade;

    /**
     * @param learning where verdicts and remembered completions go
     * @param usage    where every request's usage record goes
     * @param clock    the time of usage records
     * @param nanos    the ticker that calls' arrival times are read on (latency, time to first token)
     */
    public Dispatcher(Portfolio portfolio, Router router, Learning learning, UsageSink usage, Clock clock,
                      LongSupplier nanos) {
        this(portfolio, router, learning, usage, Spending.NONE, OpenTelemetry.noop(), clock, nanos);
    }

    /**
     * @param learning where verdicts and remembered completions go
     * @param usage    where every request's usage record goes
     * @param spending where each request's largest cost is reserved against its caller's budgets and
     *                 limits before it is dispatched, and settled after
     * @param clock    the time of usage records
     * @param nanos    the ticker that calls' arrival times are read on (latency, time to first token)
     */
    public Dispatcher(Portfolio portfolio, Router router, Learning learning, UsageSink usage, Spending spending,
                      Clock clock, LongSupplier nanos) {
        this(portfolio, router, learning, usage, spending, OpenTelemetry.noop(), clock, nanos);
    }

    /**
     * @param telemetry where the spans of routing and of each model call go (children of the
     *                  request's current span); {@code OpenTelemetry.noop()} for none
     */
    public Dispatcher(Portfolio portfolio, Router router, Learning learning, UsageSink usage, Spending spending,
                      OpenTelemetry telemetry, Clock clock, LongSupplier nanos) {
        this(portfolio, router, learning, usage, spending, telemetry, Optional.empty(), new ServerSettings.Cache(null, null), clock,
                nanos);
    }

    /**
     * @param sharedAnswers the response cache's tier in the gateway's store, for caches with {@code store: true}
     * @param cacheBounds   how many answers, and bytes, the response cache holds in memory at most
     */
    public Dispatcher(Portfolio portfolio, Router router, Learning learning, UsageSink usage, Spending spending,
                      OpenTelemetry telemetry, Optional<io.micromesh.core.spi.SharedAnswers> sharedAnswers,
                      ServerSettings.Cache cacheBounds, Clock clock, LongSupplier nanos) {
        this.tracer = telemetry.getTracer("io.micromesh.dispatch");
        this.portfolio = portfolio;
        this.router = router;
        this.learning = learning;
        this.usage = usage;
        this.spending = spending;
        this.clock = clock;
        this.nanos = nanos;
        this.cascade = new Cascade(new AnswerVerifier(portfolio), learning, tracer);
        this.caching = new ResponseCaching(new io.micromesh.core.cache.AnswerCache(cacheBounds.maxEntries(), cacheBounds.maxBytes(), clock),
                new io.micromesh.core.cache.SemanticIndex(cacheBounds.maxEntries(), java.time.Duration.ofDays(30), clock), sharedAnswers,
                router, portfolio, clock);
    }

    /** The models served. */
    public Portfolio portfolio() {
        return portfolio;
    }

    /** The routes over them. */
    public Router router() {
        return router;
    }

    /** What the routes learn, and the completions feedback may name. */
    public Learning learning() {
        return learning;
    }

    /** The current reading of the ticker calls' arrival times are on. */
    public long nanoTime() {
        return nanos.getAsLong();
    }

    /** The lane of requests to {@code name} that do not ask for one: its route's, else interactive. */
    public Lane defaultLane(String name) {
        return router.route(name).map(RouteSpec::lane).orElse(Lane.INTERACTIVE);
    }

    /**
     * What would serve a request, without calling anything ({@code POST /v1/route}).
     *
     * @return the route's decision, or empty when the request names a model
     * @throws MeshException when the name is neither a model nor a route, or no candidate can take it
     */
    public Optional<Decision> explain(MeshRequest request, String task) {
        if (portfolio.model(request.model()).isPresent()) {
            return Optional.empty();
        }
        if (!router.isRoute(request.model())) {
            throw MeshException.modelNotFound(request.model());
        }
        return router.decide(request.model(), RequestFacts.of(request, task));
    }

    /**
     * Answers a request in one piece (its {@code stream} flag is not looked at): from the response
     * cache when its route or model caches and holds the answer, else served and stored.
     */
    public Outcome answer(Call call) {
        ResponseCaching.Lookup lookup = caching.lookup(call);
        if (lookup.hit()) {
            return hit(call, lookup, null);
        }
        Outcome outcome = answerFresh(call, lookup.status());
        if (outcome instanceof Outcome.Answered answered && !lookup.status().isEmpty()) {
            caching.store(lookup, answered.body().bytes(), answered.served(), answered.usage());
            return new Outcome.Answered(answered.body(), answered.served().withCache(lookup.status()), answered.usage());
        }
        return outcome;
    }

    private Outcome answerFresh(Call call, String cacheStatus) {
        MeshRequest request = call.request();
        Trail trail = trail(call);
        trail.cache(cacheStatus);
        Spending.Hold hold = Spending.Hold.NONE;
        try {
            Plan plan = plan(call, trail);
            hold = reserve(call.caller(), plan, request);
            if (plan.verifies() && request instanceof ChatRequest chat) {
                Cascade.Settled settled = cascade.run(chat, plan.decision(), call.admission(), trail);
                Served served = settle(plan.decision(), settled, trail);
                return new Outcome.Answered(JsonBody.of(cascade.finish(chat, plan.decision(), settled, trail.total())), served,
                        trail.finish(UsageRecord.OK));
            }
            String completionId = completionId(plan, request);
            return inOrder(plan.order(), plan.decision(), trail, call.admission(), (model, served, admission) -> {
                BackendReply reply = model.backend().call(request, admission);
                Charge charge = model.tariff().charge(reply.tokens());
                trail.answered(model.id(), reply.replica(), reply.tokens(), charge, "");
                JsonBody body = PricedAnswer.of(reply.answer(), model.id(), completionId, reply.tokens(), charge);
                remember(completionId, plan, model);
                return new Outcome.Answered(body, withMethod(served, charge.method()), trail.finish(UsageRecord.OK));
            });
        } catch (MeshException e) {
            return trail.failedWith(e);
        } finally {
            settle(hold, trail);
        }
    }

    /**
     * Streams a request's answer to {@code client}. A failure before the first chunk still falls back
     * to the next candidate; after it, the outcome is a failure the edge reports in the stream.
     */
    public Outcome stream(Call call, ClientStream client) {
        ResponseCaching.Lookup lookup = caching.lookup(call);
        if (lookup.hit()) {
            return hit(call, lookup, client);
        }
        if (lookup.status().isEmpty()) {
            return streamFresh(call, client, "");
        }
        Recording recording = new Recording(client, lookup.status());
        Outcome outcome = streamFresh(call, recording, lookup.status());
        if (outcome instanceof Outcome.Streamed streamed) {
            caching.store(lookup, io.micromesh.api.Json.bytes(io.micromesh.core.cache.ChatChunks.assemble(recording.chunks)),
                    streamed.served(), streamed.usage());
            return new Outcome.Streamed(streamed.served().withCache(lookup.status()), streamed.usage());
        }
        return outcome;
    }

    /**
     * A stream's client seen through the cache: attempts carry the cache's part (the edge's
     * {@code x-mesh-cache} header), and the chunks are kept to store the answer they spell.
     */
    private static final class Recording implements ClientStream {
        private final ClientStream client;
        private final String status;
        final List<ObjectNode> chunks = new java.util.ArrayList<>();

        Recording(ClientStream client, String status) {
            this.client = client;
            this.status = status;
        }

        @Override
        public void attempt(Served served) {
            chunks.clear();  // a fallback starts over: only the answer the client gets is kept
            client.attempt(served.withCache(status));
        }

        @Override
        public void send(ObjectNode chunk) {
            chunks.add(chunk.deepCopy());
            client.send(chunk);
        }

        @Override
        public void servedBy(String replica) {
            client.servedBy(replica);
        }
    }

    /**
     * A request answered from the cache: the stored answer (replayed as a stream for a streamed
     * request), charged the cache's hit price and the lookup's energy (its wall time on one core of
     * the answering model's hardware: an upper bound, since requests run on virtual threads whose CPU
     * time is not measured), with what the stored answer had cost as what was saved.
     */
    private Outcome hit(Call call, ResponseCaching.Lookup lookup, ClientStream client) {
        long started = nanos.getAsLong();
        io.micromesh.core.cache.AnswerCache.Stored stored = lookup.stored();
        Trail trail = trail(call);
        if (router.isRoute(call.request().model())) {
            trail.routedTo(call.request().model(), "cache");
        }
        Served served = new Served(stored.model(), Optional.of("cache hit"), Optional.empty(), stored.method(),
                UsageRecord.CACHE_HIT);
        trail.trying(served);
        trail.hit(stored.tokens(), stored.method(), stored.costUsd(), stored.energyWh());
        double seconds = Math.max(0, nanos.getAsLong() - started) / 1e9;
        Charge lookupCharge = portfolio.model(stored.model())
                .map(model -> model.tariff().charge(new Usage(0, 0, seconds, 0)))
                .orElse(new Charge(0, 0, EnergyMethod.NONE));
        Charge charge = new Charge(lookup.spec().hitPriceUsd(), lookupCharge.energyWh(), stored.method());
        trail.hitCharge(charge);
        ObjectNode answer = ResponseCaching.answerOfHit(stored, charge);
        if (client == null) {
            return new Outcome.Answered(JsonBody.of(answer), served, trail.finish(UsageRecord.OK));
        }
        client.attempt(served);
        boolean withUsage = call.request().body().path("stream_options").path("include_usage").asBoolean(false);
        try {
            for (ObjectNode chunk : io.micromesh.core.cache.ChatChunks.replay(answer, withUsage)) {
                trail.firstChunk();
                client.send(chunk);
            }
        } catch (ClientGoneException e) {
            return new Outcome.Streamed(served, trail.finish(UsageRecord.CLIENT_GONE));
        }
        return new Outcome.Streamed(served, trail.finish(UsageRecord.OK));
    }

    private Outcome streamFresh(Call call, ClientStream client, String cacheStatus) {
        MeshRequest request = call.request();
        Trail trail = trail(call);
        trail.cache(cacheStatus);
        Spending.Hold hold = Spending.Hold.NONE;
        try {
            Plan plan = plan(call, trail);
            hold = reserve(call.caller(), plan, request);
            if (plan.verifies() && request instanceof ChatRequest chat) {
                return replayed(chat, plan.decision(), call, client, trail);
            }
            String completionId = completionId(plan, request);
            return inOrder(plan.order(), plan.decision(), trail, call.admission(), (model, served, admission) -> {
                client.attempt(served);
                Priced sink = new Priced(client, model, completionId, trail);
                try {
                    Usage tokens = model.backend().stream(request, sink, admission);
                    Charge charge = model.tariff().charge(tokens);
                    trail.answered(model.id(), sink.replica, tokens, charge, "");
                    remember(completionId, plan, model);
                    return new Outcome.Streamed(withMethod(served, charge.method()), trail.finish(UsageRecord.OK));
                } catch (MeshException e) {
                    if (!sink.forwarded) {
                        throw e;  // nothing reached the client: the next model may still take the request
                    }
                    trail.failed(model.id(), e);
                    return trail.failedWith(e);
                } catch (ClientGoneException e) {
                    return new Outcome.Streamed(served, trail.finish(UsageRecord.CLIENT_GONE));
                }
            });
        } catch (MeshException e) {
            return trail.failedWith(e);
        } finally {
            settle(hold, trail);
        }
    }

    /**
     * Transcribes audio with a model that has the capability {@code transcription}, or a route over
     * such models whose policy needs no text to choose ({@code fixed}, {@code fallback}, {@code rules}).
     */
    public Outcome transcribe(AudioCall call) {
        Trail trail = new Trail(usage, nanos, clock.instant(), call.requestId(), call.caller(), call.task(),
                call.admission().lane(), call.arrivedNanos());
        Spending.Hold hold = Spending.Hold.NONE;
        try {
            allow(call.caller(), call.model());
            Decision decision = null;
            List<ServedModel> order;
            Optional<ServedModel> named = portfolio.model(call.model());
            if (named.isPresent()) {
                if (!named.get().spec().capabilities().contains(Capability.TRANSCRIPTION)) {
                    throw MeshException.invalid("model", "model '" + call.model() + "' does not transcribe audio; models"
                            + " that do have the capability transcription (GET /v1/models)");
                }
                order = List.of(named.get());
            } else {
                RouteSpec route = router.route(call.model()).orElseThrow(() -> MeshException.modelNotFound(call.model()));
                if (!route.policy().choosesWithoutText()) {
                    throw MeshException.invalid("model", "route '" + route.name() + "' (policy " + route.policy()
                            + ") chooses by the text of a request; a route for audio uses policy "
                            + Arrays.stream(RoutePolicy.values()).filter(RoutePolicy::choosesWithoutText).map(RoutePolicy::key)
                                    .collect(Collectors.joining(", ")));
                }
                decision = router.decide(route.name(), RequestFacts.audio(call.task())).orElseThrow();
                trail.routed(decision);
                order = decision.order();
            }
            // an upload's length, and so its cost, is known only once decoded: what is reserved is
            // nothing, so a budget must not be spent already, and rate limits count the request
            hold = call.caller().limited() ? spending.reserve(call.caller(), new Spending.Estimate(0, 0, 0))
                    : Spending.Hold.NONE;
            PcmAudio[] decoded = new PcmAudio[1];
            return inOrder(order, decision, trail, call.admission(), (model, served, admission) -> {
                if (!(model.backend() instanceof SpeechBackend speech)) {
                    throw MeshException.of(MeshException.Failure.UNAVAILABLE, model.backend().health().detail(), null);
                }
                if (decoded[0] == null || decoded[0].sampleRate() != speech.sampleRate()) {
                    decoded[0] = call.audio().at(speech.sampleRate());
                }
                long started = nanos.getAsLong();
                Transcript transcript = speech.transcribe(decoded[0], call.language(), call.prompt());
                double waited = (nanos.getAsLong() - started) / 1e9;
                // the engine's own time when it knows it: a wait in its queue is not work
                double busySeconds = Double.isNaN(transcript.processingSeconds()) ? waited : transcript.processingSeconds();
                Charge charge = model.tariff().audio(transcript.seconds(), busySeconds, speech.coresPerTranscription());
                trail.audio(transcript.seconds());
                trail.answered(model.id(), "", Usage.NONE, charge, "");
                return new Outcome.Transcribed(transcript, busySeconds, charge, withMethod(served, charge.method()),
                        trail.finish(UsageRecord.OK));
            });
        } catch (MeshException e) {
            return trail.failedWith(e);
        } finally {
            settle(hold, trail);
        }
    }

    /** Refuses a model or route the caller's key may not name. */
    private static void allow(Caller caller, String model) {
        if (!caller.grant().allows(model)) {
            throw MeshException.of(MeshException.Failure.FORBIDDEN, "This API key may not use '" + model + "'; it may use "
                    + caller.grant().models().stream().sorted().toList() + ".", null);
        }
    }

    /**
     * Reserves the request's largest possible cost, energy and tokens against its caller's budgets and
     * limits (nothing to reserve for a caller without any).
     */
    private Spending.Hold reserve(Caller caller, Plan plan, MeshRequest request) {
        return caller.limited() ? spending.reserve(caller, WorstCase.of(request, plan.order(), plan.verifies()
                ? plan.decision().verify() : null, portfolio)) : Spending.Hold.NONE;
    }

    /** Settles a reservation to what the request's calls used, every attempt included. */
    private static void settle(Spending.Hold hold, Trail trail) {
        if (hold == Spending.Hold.NONE) {
            return;  // nothing reserved: most callers, on every request
        }
        Charge total = trail.total();
        hold.settle(total.costUsd(), total.energyWh(), trail.tokensUsed());
    }

    /**
     * One try of one model; a failure it throws lets the next model try, when it is retriable.
     * {@code admission} carries the attempt's own trace context upstream.
     */
    @FunctionalInterface
    private interface Attempt {
        Outcome run(ServedModel model, Served served, Admission admission);
    }

    /**
     * The fallback loop, in one place: the models in order, each tried once; a retriable failure
     * hands the request to the next, any other failure (or the last model's) is the outcome.
     */
    private Outcome inOrder(List<ServedModel> order, Decision decision, Trail trail, Admission admission, Attempt attempt) {
        for (int i = 0; i < order.size(); i++) {
            ServedModel model = order.get(i);
            Served served = served(model, decision, i);
            trail.trying(served);
            Span span = tracer.spanBuilder("attempt " + model.id()).setSpanKind(SpanKind.CLIENT)
                    .setAttribute("gen_ai.request.model", model.id()).setAttribute("mesh.attempt", i)
                    .setAttribute("mesh.engine", model.spec().engine().key()).startSpan();
            io.opentelemetry.context.Context context = io.opentelemetry.context.Context.current().with(span);
            if (span.getSpanContext().isValid()) {
                context = context.with(Tracing.TRACER, tracer);  // for the spans below: the wait for a place
            }
            try (Scope ignored = context.makeCurrent()) {
                Outcome outcome = attempt.run(model, served, Tracing.carrying(admission, span));
                span.setAttribute("mesh.result", outcome instanceof Outcome.Failed ? "failed" : "ok");
                return outcome;
            } catch (MeshException e) {
                span.setStatus(StatusCode.ERROR, Trail.key(e)).setAttribute("mesh.result", Trail.key(e));
                trail.failed(model.id(), e);
                if (i == order.size() - 1 || !e.retriable()) {
                    return trail.failedWith(e);
                }
            } finally {
                span.end();
            }
        }
        throw new IllegalStateException("no model to try");
    }

    /** What serves a call: a model named directly (checked to fit), or the decision of its route. */
    private record Plan(ServedModel direct, Decision decision) {

        List<ServedModel> order() {
            return decision == null ? List.of(direct) : decision.order();
        }

        boolean verifies() {
            return decision != null && decision.verify() != null;
        }
    }

    private Plan plan(Call call, Trail trail) {
        MeshRequest request = call.request();
        allow(call.caller(), request.model());
        Optional<ServedModel> named = portfolio.model(request.model());
        if (named.isPresent()) {
            trail.trying(served(named.get(), null, 0));
            Fit.check(named.get(), RequestFacts.forFit(request)).ifPresent(misfit -> {
                throw misfit;
            });
            return new Plan(named.get(), null);
        }
        if (!router.isRoute(request.model())) {
            throw MeshException.modelNotFound(request.model());
        }
        Span span = tracer.spanBuilder("route " + request.model()).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            Decision decision = router.decide(request.model(), RequestFacts.of(request, call.task())).orElseThrow();
            trail.routed(decision);
            span.setAttribute("mesh.route", decision.route()).setAttribute("mesh.policy", decision.policy().key())
                    .setAttribute("mesh.model", decision.order().isEmpty() ? "" : decision.order().getFirst().id())
                    .setAttribute("mesh.reason", decision.reason());
            return new Plan(null, decision);
        } catch (MeshException e) {
            span.setStatus(StatusCode.ERROR, Trail.key(e));
            throw e;
        } finally {
            span.end();
        }
    }

    private Trail trail(Call call) {
        return new Trail(usage, nanos, clock.instant(), call.requestId(), call.caller(), call.task(),
                call.admission().lane(), call.arrivedNanos());
    }

    /** Routes that learn name their chat completions themselves, so that feedback can find them. */
    private static String completionId(Plan plan, MeshRequest request) {
        return plan.decision() != null && plan.decision().learningText() != null
                && request.operation() == Operation.CHAT_COMPLETIONS ? Learning.completionId() : null;
    }

    private void remember(String completionId, Plan plan, ServedModel model) {
        if (completionId != null) {
            learning.remember(completionId, plan.decision(), model.id());
        }
    }

    private static Served served(ServedModel model, Decision decision, int attempt) {
        return new Served(model.id(), decision == null ? Optional.empty() : Optional.of(decision.header(attempt)),
                Optional.empty(), model.tariff().energyMethod());
    }

    private static Served withMethod(Served served, EnergyMethod method) {
        return new Served(served.model(), served.routing(), served.cascade(), method);
    }

    private static Served settle(Decision decision, Cascade.Settled settled, Trail trail) {
        Served served = new Served(settled.model().id(), Optional.of(decision.header()), Optional.of(settled.account()),
                trail.total().method());
        trail.settle(served);
        return served;
    }

    /** A cascade's verified answer, replayed to a streaming client. */
    private Outcome replayed(ChatRequest chat, Decision decision, Call call, ClientStream client, Trail trail) {
        Cascade.Settled settled = cascade.run(chat, decision, call.admission(), trail);
        Served served = settle(decision, settled, trail);
        ObjectNode answer = cascade.finish(chat, decision, settled, trail.total());
        client.attempt(served);
        try {
            for (ObjectNode chunk : Cascade.chunks(answer, chat.includeUsage())) {
                trail.firstChunk();
                client.send(chunk);
            }
        } catch (ClientGoneException e) {
            return new Outcome.Streamed(served, trail.finish(UsageRecord.CLIENT_GONE));
        }
        return new Outcome.Streamed(served, trail.finish(UsageRecord.OK));
    }

    /**
     * The sink between a streaming backend and the client: every chunk gets the served model's id
     * (and the route's completion id), the usage chunk its cost and energy; the first chunk's time
     * and the serving replica go into the trail.
     */
    private static final class Priced implements ChunkSink {

        private final ClientStream client;
        private final ServedModel model;
        private final String completionId;
        private final Trail trail;
        boolean forwarded;
        String replica = "";

        Priced(ClientStream client, ServedModel model, String completionId, Trail trail) {
            this.client = client;
            this.model = model;
            this.completionId = completionId;
            this.trail = trail;
        }

        @Override
        public void send(ObjectNode chunk) {
            if (chunk.has("type") && !chunk.has("choices")) {
                // a Responses API event, passed through: the model and the usage are its response's, if any
                if (chunk.get("response") instanceof ObjectNode response) {
                    response.put("model", model.id());
                    price(response.get("usage"));
                }
            } else {
                chunk.put("model", model.id());
                if (completionId != null) {
                    chunk.put("id", completionId);
                }
                price(chunk.get("usage"));
            }
            trail.firstChunk();
            forwarded = true;
            client.send(chunk);
        }

        /** Adds the cost and energy to a stream's usage object, unless an upstream gateway already did. */
        private void price(JsonNode usage) {
            if (usage instanceof ObjectNode counted && !counted.has("cost_usd")) {
                Charge charge = model.tariff().charge(Usage.of(counted));
                counted.put("cost_usd", charge.costUsd());
                counted.put("energy_wh", charge.energyWh());
            }
        }

        @Override
        public void servedBy(String from) {
            replica = from;
            trail.servedBy(from);
        }
    }
}
