package io.micromesh.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micromesh.core.dispatch.Lane;
import io.micromesh.core.spi.GateGauges;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.spi.UsageSink;
import io.micromesh.core.spi.Usage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's Prometheus metrics, per model: requests by status, prompt and completion tokens,
 * latency and time-to-first-token histograms, cost and energy totals. Meters are created once per
 * model (and status) and kept, so the request path does no registry look-up. Beside them, the JVM's
 * and the process's own meters (memory, garbage collection, threads, CPU, open files, uptime).
 * Thread-safe.
 */
final class GatewayMetrics implements UsageSink, AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Listens to the JVM's garbage-collection notifications until closed. */
    private final JvmGcMetrics gc = new JvmGcMetrics();

    GatewayMetrics() {
        // the process beside the requests: memory, collections, threads, CPU, open files, uptime
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }
    private final Map<String, ModelMeters> byModel = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> decisions = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> verdicts = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> spend = new ConcurrentHashMap<>();
    private final LiveTraffic live = new LiveTraffic(System::currentTimeMillis);
    /** Workflows are made by agents, without bound: past this many, their spend counts under "other". */
    static final int MAX_WORKFLOWS = 500;
    private final java.util.Set<String> workflows = ConcurrentHashMap.newKeySet();

    /** The meters of one model. */
    private final class ModelMeters {
        final String model;
        final Map<Integer, Counter> requests = new ConcurrentHashMap<>();
        final Counter promptTokens;
        final Counter completionTokens;
        final Counter costUsd;
        final Counter energyWh;
        final Timer latency;
        final Timer firstToken;

        ModelMeters(String model) {
            this.model = model;
            promptTokens = Counter.builder("mesh.prompt.tokens").description("Prompt tokens processed")
                    .tag("model", model).register(registry);
            completionTokens = Counter.builder("mesh.completion.tokens").description("Completion tokens generated")
                    .tag("model", model).register(registry);
            costUsd = Counter.builder("mesh.cost.usd").description("Cost of the requests served, in US dollars")
                    .tag("model", model).register(registry);
            energyWh = Counter.builder("mesh.energy.wh").description("Energy of the requests served, in watt-hours")
                    .tag("model", model).register(registry);
            latency = Timer.builder("mesh.request.duration").description("Time from request to last byte")
                    .tag("model", model).publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(5))
                    .register(registry);
            firstToken = Timer.builder("mesh.time.to.first.token").description("Time from request to first streamed chunk")
                    .tag("model", model).publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(5))
                    .register(registry);
        }

        Counter requests(int status) {
            return requests.computeIfAbsent(status, s -> Counter.builder("mesh.requests")
                    .description("Requests answered, by model and HTTP status")
                    .tag("model", model).tag("status", String.valueOf(s)).register(registry));
        }
    }

    private ModelMeters of(String model) {
        return byModel.computeIfAbsent(model, ModelMeters::new);
    }

    /** Registers a model's meters up front, so that they are scraped at zero before its first request. */
    void declare(String model) {
        of(model);
    }

    void answered(String model, int status, long nanos) {
        ModelMeters m = of(model);
        m.requests(status).increment();
        m.latency.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void charged(String model, Usage tokens, Charge charge) {
        ModelMeters m = of(model);
        m.promptTokens.increment(tokens.prompt());
        m.completionTokens.increment(tokens.completion());
        m.costUsd.increment(charge.costUsd());
        m.energyWh.increment(charge.energyWh());
    }

    /**
     * Counts what a dispatched request used: every call's tokens, cost and energy under its model,
     * the route's decision (by the model it chose first), cascade verdicts, and the time to the
     * first streamed chunk.
     */
    @Override
    public void record(UsageRecord usage) {
        live.record(usage);
        for (UsageRecord.Attempt attempt : usage.attempts()) {
            charged(attempt.model(), attempt.tokens(), attempt.charge());
            if (!attempt.verdict().isEmpty()) {
                verdict(usage.route(), attempt.model(), attempt.verdict());
            }
        }
        if (!usage.route().isEmpty() && !usage.attempts().isEmpty()) {
            routed(usage.route(), usage.policy(), usage.attempts().getFirst().model());
        }
        if (usage.ttftNanos() >= 0 && !usage.model().isEmpty()) {
            firstChunk(usage.model(), usage.ttftNanos());
        }
        if (!usage.cache().isEmpty()) {
            cached(usage);
        }
        spent("key", usage.keyId(), usage);
        if (!usage.workflowId().isEmpty()) {
            String workflow = workflows.contains(usage.workflowId())
                    || (workflows.size() < MAX_WORKFLOWS && workflows.add(usage.workflowId())) ? usage.workflowId() : "other";
            spent("workflow", workflow, usage);
        }
    }

    /** Counts a request the response cache looked at, by route or model and result, and what hits saved. */
    private void cached(UsageRecord usage) {
        String name = usage.route().isEmpty() ? usage.model() : usage.route();
        spend.computeIfAbsent(List.of("cache", name, usage.cache()), k -> Counter.builder("mesh.cache.requests")
                .description("Requests the response cache looked at, by route or model and result (hit, miss, bypass)")
                .tag("name", name).tag("result", usage.cache()).register(registry)).increment();
        if (usage.cache().equals(UsageRecord.CACHE_HIT)) {
            spend.computeIfAbsent(List.of("cache", name, "saved.usd"), k -> Counter.builder("mesh.cache.saved.cost.usd")
                    .description("What answers from the response cache had cost when computed, in US dollars")
                    .tag("name", name).register(registry)).increment(usage.savedCostUsd());
            spend.computeIfAbsent(List.of("cache", name, "saved.wh"), k -> Counter.builder("mesh.cache.saved.energy.wh")
                    .description("The energy of answers from the response cache when computed, in watt-hours")
                    .tag("name", name).register(registry)).increment(usage.savedEnergyWh());
        }
    }

    /** Counts a request's cost, energy and the request itself under a key or a workflow. */
    private void spent(String kind, String id, UsageRecord usage) {
        counter(kind, id, "requests", "Requests served").increment();
        counter(kind, id, "cost.usd", "Cost of the requests served, in US dollars").increment(usage.costUsd());
        counter(kind, id, "energy.wh", "Energy of the requests served, in watt-hours").increment(usage.energyWh());
    }

    /** A spend counter; its name and description are made once, when it is first needed (this runs per request). */
    private Counter counter(String kind, String id, String what, String description) {
        return spend.computeIfAbsent(List.of(kind, id, what), k -> Counter.builder("mesh." + kind + "." + what)
                .description(description + ", by " + kind).tag(kind, id).register(registry));
    }

    void firstChunk(String model, long nanos) {
        of(model).firstToken.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** Counts a routing decision by route, policy and chosen model. */
    void routed(String route, String policy, String model) {
        decisions.computeIfAbsent(List.of(route, policy, model), key -> Counter.builder("mesh.route.decisions")
                .description("Routing decisions, by route, policy and chosen model")
                .tag("route", route).tag("policy", policy).tag("model", model).register(registry)).increment();
    }

    /**
     * Exposes the admission of a model's replicas: each one's in-flight limit and requests in
     * flight, and per lane its queue depth, admissions with their total wait, refusals (full queue)
     * and expiries (deadline passed while waiting). Read at scrape time from the gates' counters.
     */
    void gates(String model, List<GateGauges> gates) {
        for (GateGauges gate : gates) {
            String replica = gate.name();
            Gauge.builder("mesh.dispatch.limit", gate, GateGauges::limit)
                    .description("In-flight limit of a replica (adaptive unless fixed)")
                    .tag("model", model).tag("replica", replica).register(registry);
            Gauge.builder("mesh.dispatch.in.flight", gate, GateGauges::inFlight)
                    .description("Requests in flight on a replica").tag("model", model).tag("replica", replica)
                    .register(registry);
            for (Lane lane : Lane.values()) {
                Gauge.builder("mesh.dispatch.queued", gate, g -> g.queued(lane))
                        .description("Requests waiting for a place, by replica and lane")
                        .tag("model", model).tag("replica", replica).tag("lane", lane.key()).register(registry);
                FunctionTimer.builder("mesh.dispatch.wait", gate, g -> g.admitted(lane), g -> g.waitSeconds(lane),
                                java.util.concurrent.TimeUnit.SECONDS)
                        .description("Time requests waited for a place, by replica and lane")
                        .tag("model", model).tag("replica", replica).tag("lane", lane.key()).register(registry);
                FunctionCounter.builder("mesh.dispatch.refused", gate, g -> g.refused(lane))
                        .description("Requests refused because the replica's queue was full (429)")
                        .tag("model", model).tag("replica", replica).tag("lane", lane.key()).register(registry);
                FunctionCounter.builder("mesh.dispatch.expired", gate, g -> g.expired(lane))
                        .description("Requests whose deadline passed while they waited (504)")
                        .tag("model", model).tag("replica", replica).tag("lane", lane.key()).register(registry);
            }
        }
    }

    /** Counts a cascade verdict by route, model and result ({@code passed} or the check that failed). */
    void verdict(String route, String model, String result) {
        verdicts.computeIfAbsent(List.of(route, model, result), key -> Counter.builder("mesh.cascade.verdicts")
                .description("Verdicts on answers of routes that verify, by route, model and result")
                .tag("route", route).tag("model", model).tag("result", result).register(registry)).increment();
    }

    /** The cascade verdicts counted so far: route, model, result and count, for the dashboard. */
    List<Map.Entry<List<String>, Double>> verdictCounts() {
        return verdicts.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue().count()))
                .sorted(Map.Entry.comparingByKey(java.util.Comparator.comparing(List::toString))).toList();
    }

    /** The last minutes' traffic, for the dashboard. */
    LiveTraffic live() {
        return live;
    }

    /** The Prometheus text exposition of every meter. */
    String scrape() {
        return registry.scrape();
    }

    /** Stops listening to the JVM's collections. */
    @Override
    public void close() {
        gc.close();
    }
}
