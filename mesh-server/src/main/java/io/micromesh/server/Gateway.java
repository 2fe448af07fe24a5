package io.micromesh.server;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.micromesh.api.ApiException;
import io.micromesh.core.MeshException;
import io.micromesh.api.Operation;
import io.micromesh.api.Quote;
import io.micromesh.core.Portfolio;
import io.micromesh.core.outcomes.OutcomeStore;
import io.micromesh.core.dispatch.Dispatcher;
import io.micromesh.core.routing.Learning;
import io.micromesh.core.routing.Router;
import io.micromesh.core.ServedModel;
import io.micromesh.core.config.ServerSettings;
import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.time.Duration;
import java.util.Optional;

/**
 * The micromesh HTTP gateway: the OpenAI API over a portfolio of models, on Helidon SE 4 with a
 * virtual thread per request. Start it with {@link #start}; stop it with {@link #drainAndStop} (no
 * new requests, those in flight finish within {@code server.drain-timeout-ms}) or {@link #close}.
 * The portfolio stays its caller's to close.
 */
public final class Gateway implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Gateway.class.getName());

    private final WebServer server;
    private final Drain drain;
    private final Duration drainTimeout;
    private final GatewayMetrics metrics;
    private final EdgeConnections edge;
    private Telemetry owned;  // closed with the gateway when it made it (else its runtime's)
    private final Optional<Batches> batches;

    private Gateway(WebServer server, Drain drain, Duration drainTimeout, GatewayMetrics metrics, EdgeConnections edge,
                    Optional<Batches> batches) {
        this.server = server;
        this.batches = batches;
        this.edge = edge;
        this.drain = drain;
        this.drainTimeout = drainTimeout;
        this.metrics = metrics;
    }

    /**
     * Starts a gateway serving {@code portfolio} with {@code settings}, without routes.
     *
     * @param clock the time source for the models' {@code created} field and usage records
     */
    public static Gateway start(ServerSettings settings, Portfolio portfolio, Clock clock) {
        return start(settings, portfolio, Router.over(List.of(), portfolio), Optional.empty(), clock);
    }

    /**
     * Starts a gateway whose clients may also ask for the routes of {@code router}; what they learn is
     * kept in this process only.
     *
     * @throws RuntimeException when the port cannot be bound
     */
    public static Gateway start(ServerSettings settings, Portfolio portfolio, Router router, Clock clock) {
        return start(settings, portfolio, router, Optional.empty(), clock);
    }

    /**
     * Starts a gateway whose clients may also ask for the routes of {@code router}, and whose routes
     * store what they learn (cascade verdicts, feedback) in {@code store}, which stays its caller's
     * to close.
     *
     * @throws RuntimeException when the port cannot be bound
     */
    public static Gateway start(ServerSettings settings, Portfolio portfolio, Router router,
                                Optional<OutcomeStore> store, Clock clock) {
        GatewayMetrics metrics = new GatewayMetrics();
        Telemetry telemetry = Telemetry.of(settings);
        Dispatcher dispatcher = new Dispatcher(portfolio, router, new Learning(router, store), metrics,
                io.micromesh.core.accounting.Spending.NONE, telemetry.api(), Optional.empty(), settings.cache(), clock,
                System::nanoTime);
        Gateway gateway = start(settings, dispatcher, metrics, Optional.empty(), telemetry,
                io.micromesh.core.config.KafkaSettings.defaults(), clock);
        gateway.owned = telemetry;
        return gateway;
    }

    /**
     * Starts a gateway over {@code dispatcher}, whose usage records {@code metrics} counts and the
     * ledger of {@code accounts}, when there are accounts, keeps ({@code GET /v1/usage} reads it; the
     * admin API issues their keys).
     *
     * @throws RuntimeException when the port cannot be bound
     */
    static Gateway start(ServerSettings settings, Dispatcher dispatcher, GatewayMetrics metrics, Optional<Accounts> accounts,
                         Telemetry telemetry, io.micromesh.core.config.KafkaSettings kafka, Clock clock) {
        Portfolio portfolio = dispatcher.portfolio();
        portfolio.models().forEach(model -> {
            metrics.declare(model.id());
            metrics.gates(model.id(), model.backend().gates());
        });
        Drain drain = new Drain();
        RequestBodies bodies = new RequestBodies(settings.maxBodyBytes());
        RequestSpans spans = new RequestSpans(telemetry.api());
        InferenceEndpoint inference = new InferenceEndpoint(dispatcher, bodies, spans);
        FeedbackEndpoint feedback = new FeedbackEndpoint(dispatcher.learning(), bodies);
        RouteEndpoint route = new RouteEndpoint(dispatcher, bodies);
        ModelsEndpoint models = new ModelsEndpoint(portfolio, dispatcher.router(), clock.instant().getEpochSecond());
        HealthEndpoints health = new HealthEndpoints(portfolio, drain, metrics);
        TranscriptionEndpoint transcriptions = new TranscriptionEndpoint(dispatcher, settings.maxBodyBytes(), spans);
        Optional<UsageEndpoint> usage = accounts.map(a -> new UsageEndpoint(a.ledger(), clock));
        Optional<FilesEndpoint> files = accounts.map(a -> new FilesEndpoint(a.files(), settings.maxFileBytes()));
        Optional<Batches> batches = accounts.map(a -> new Batches(a.batches(), a.files(), Optional.of(a.keys()), dispatcher,
                telemetry.api(), settings.batches(), Path.of(settings.stateDir(), "batches"),
                Batches.nodeOf(Path.of(settings.stateDir())),
                Optional.ofNullable(settings.batches().kafka()).map(bootstrap -> new io.micromesh.jobs.kafka.Topics(kafka, bootstrap)),
                clock));
        ResponsesEndpoint responses = new ResponsesEndpoint(dispatcher, bodies, accounts.map(Accounts::responses), clock);
        Optional<DocumentsEndpoint> documents = accounts.map(a -> new DocumentsEndpoint(new io.micromesh.jobs.docs.DocumentStore(
                Path.of(settings.stateDir(), "documents"), a.documents(),
                new io.micromesh.jobs.docs.DocumentStore.Limits(settings.maxFileBytes(), 2000)),
                Path.of(settings.stateDir(), "documents", "uploads"), settings.maxFileBytes()));
        Optional<BatchesEndpoint> batchApi = accounts.flatMap(a -> batches.map(b -> new BatchesEndpoint(b, a.batches(),
                a.files(), bodies)));
        Optional<AdminEndpoint> admin = accounts.map(a -> new AdminEndpoint(a.keys(), a.budgets(), a.ledger(), dispatcher,
                bodies, clock));
        Authenticator auth = new Authenticator(settings, accounts.map(Accounts::keys));
        DashboardEndpoint dashboard = new DashboardEndpoint(dispatcher, metrics, accounts, auth, clock);

        HttpRouting.Builder routing = HttpRouting.builder()
                .addFilter(new EdgeFilter(auth, settings.accessLog(), drain, metrics))
                .post("/v1/chat/completions", (req, res) -> inference.handle(Operation.CHAT_COMPLETIONS, req, res))
                .post("/v1/completions", (req, res) -> inference.handle(Operation.COMPLETIONS, req, res))
                .post("/v1/responses", responses::create)
                .get("/v1/responses/{id}", responses::get)
                .delete("/v1/responses/{id}", responses::delete)
                .post("/v1/embeddings", (req, res) -> inference.handle(Operation.EMBEDDINGS, req, res))
                .post("/v1/audio/transcriptions", transcriptions::handle)
                .post("/v1/route", route::handle)
                .post("/v1/feedback", feedback::handle)
                .get("/v1/models", models::list)
                .get("/v1/usage", (req, res) -> usage.orElseThrow(Gateway::noLedger).handle(req, res))
                .get("/v1/workflows/{id}", (req, res) -> usage.orElseThrow(Gateway::noLedger).workflow(req, res))
                .post("/v1/files", (req, res) -> files.orElseThrow(Gateway::noLedger).upload(req, res))
                .get("/v1/files", (req, res) -> files.orElseThrow(Gateway::noLedger).list(req, res))
                .get("/v1/files/{id}", (req, res) -> files.orElseThrow(Gateway::noLedger).get(req, res))
                .get("/v1/files/{id}/content", (req, res) -> files.orElseThrow(Gateway::noLedger).content(req, res))
                .delete("/v1/files/{id}", (req, res) -> files.orElseThrow(Gateway::noLedger).delete(req, res))
                .post("/v1/batches", (req, res) -> batchApi.orElseThrow(Gateway::noLedger).create(req, res))
                .post("/v1/documents", (req, res) -> documents.orElseThrow(Gateway::noLedger).upload(req, res))
                .get("/v1/documents/{id}", (req, res) -> documents.orElseThrow(Gateway::noLedger).get(req, res))
                .get("/v1/batches", (req, res) -> batchApi.orElseThrow(Gateway::noLedger).list(req, res))
                .get("/v1/batches/{id}", (req, res) -> batchApi.orElseThrow(Gateway::noLedger).get(req, res))
                .post("/v1/batches/{id}/cancel", (req, res) -> batchApi.orElseThrow(Gateway::noLedger).cancel(req, res))
                .post("/v1/batches/{id}/resume", (req, res) -> batchApi.orElseThrow(Gateway::noLedger).resume(req, res))
                .post("/admin/keys", (req, res) -> admin.orElseThrow().create(req, res))
                .get("/admin/keys", (req, res) -> admin.orElseThrow().list(req, res))
                .get("/admin/keys/{id}", (req, res) -> admin.orElseThrow().get(req, res))
                .delete("/admin/keys/{id}", (req, res) -> admin.orElseThrow().revoke(req, res))
                .get("/v1/models/{id}", models::get)
                .get("/dashboard", dashboard::page)
                .get("/dashboard/data", dashboard::data)
                .get("/health/live", health::live)
                .get("/health/ready", health::ready)
                .get("/metrics", health::metrics)
                .head("/v1/models", models::list)
                .head("/v1/models/{id}", models::get)
                .head("/health/live", health::live)
                .head("/health/ready", health::ready)
                .any(Gateway::unknownRoute)
                .error(ApiException.class, Responses::error)
                .error(MeshException.class, (req, res, e) -> Responses.error(req, res, Failures.toApi(e)))
                // every endpoint that reads the store (usage, admin, files): one answer when it cannot
                .error(io.micromesh.store.StoreException.class, (req, res, e) -> {
                    LOG.log(System.Logger.Level.WARNING, "the store cannot be reached: " + e.getMessage());
                    Responses.error(req, res, Failures.storeUnavailable("The store cannot be reached; retry later."));
                });

        EdgeConnections edge = new EdgeConnections(EdgeTimeouts.of(settings));
        io.helidon.webserver.WebServerConfig.Builder builder = WebServer.builder();
        if (settings.tls() != null) {
            Keys keys = Keys.builder().pem(pem -> pem.key(Resource.create(Path.of(settings.tls().key())))
                    .certChain(Resource.create(Path.of(settings.tls().cert())))).build();
            builder.tls(tls -> tls.privateKey(keys).privateKeyCertChain(keys));
        }
        WebServer server = builder
                .host(settings.host())
                .port(settings.port())
                .shutdownHook(false)
                // answers are small and latency-bound: send them at once, never wait to coalesce
                .connectionOptions(options -> options.tcpNoDelay(true))
                .directHandlers(ProtocolErrors.all())
                // every connection goes through the edge's own selector (time limits, HTTP/1.0, non-HTTP)
                .protocolsDiscoverServices(false)
                .protocols(java.util.List.of())
                .addConnectionSelector(edge)
                .routing(routing)
                .build()
                .start();
        LOG.log(System.Logger.Level.INFO, "micromesh gateway listening on " + settings.scheme() + "://" + settings.host() + ":"
                + server.port()
                + " with models " + portfolio.models().stream().map(ServedModel::id).toList());
        // batches a kill interrupted go on once the gateway answers their clients again
        batches.ifPresent(Batches::resumeUnfinished);
        return new Gateway(server, drain, Duration.ofMillis(settings.drainTimeoutMs()), metrics, edge, batches);
    }

    /** The paths the gateway serves, with the methods each takes, for 405 answers. */
    private static final java.util.Map<String, String> PATHS = java.util.Map.ofEntries(
            java.util.Map.entry("/v1/chat/completions", "POST"), java.util.Map.entry("/v1/completions", "POST"),
            java.util.Map.entry("/v1/embeddings", "POST"), java.util.Map.entry("/v1/audio/transcriptions", "POST"),
            java.util.Map.entry("/v1/route", "POST"), java.util.Map.entry("/v1/feedback", "POST"),
            java.util.Map.entry("/v1/models", "GET, HEAD"), java.util.Map.entry("/v1/usage", "GET"),
            java.util.Map.entry("/health/live", "GET, HEAD"), java.util.Map.entry("/health/ready", "GET, HEAD"),
            java.util.Map.entry("/metrics", "GET"), java.util.Map.entry("/admin/keys", "GET, POST"),
            java.util.Map.entry("/dashboard", "GET"), java.util.Map.entry("/dashboard/data", "GET"),
            java.util.Map.entry("/v1/files", "GET, POST"), java.util.Map.entry("/v1/batches", "GET, POST"));

    /** The answer of {@code /v1/usage} on a gateway embedded without a store. */
    private static ApiException noLedger() {
        return ApiException.notFound("This gateway keeps no store (usage ledger, files, batches); mesh serve keeps one.");
    }

    /** 405 for a known path asked with another method, else 404; the path is quoted clipped. */
    private static void unknownRoute(io.helidon.webserver.http.ServerRequest req, io.helidon.webserver.http.ServerResponse res) {
        String path = req.path().path();
        String allowed = PATHS.get(path);
        if (allowed != null) {
            throw new ApiException(405, new io.micromesh.api.ApiError("POST".equals(allowed) || allowed.contains(",")
                    ? path + " takes " + allowed + ", not " + Quote.clip(req.prologue().method().text()) + "."
                    : path + " takes " + allowed + ".", "invalid_request_error", null, "method_not_allowed"),
                    java.util.Map.of("Allow", allowed));
        }
        throw ApiException.notFound("Unknown route: " + Quote.clip(req.prologue().method().text()) + " "
                + Quote.clip(path) + ". See GET /v1/models and the API reference in README.md.");
    }

    /** The port the gateway listens on (the chosen one when configured as 0). */
    public int port() {
        return server.port();
    }

    /** Requests being served now. */
    public int inFlight() {
        return drain.inFlight();
    }

    /**
     * Stops taking requests (new ones get 503), waits for those in flight for at most the configured
     * drain timeout, then stops the server.
     *
     * @return true when every request in flight finished in time
     */
    public boolean drainAndStop() {
        boolean clean = drain.drain(drainTimeout);
        // batches stop sending; what they have in flight is journaled, the rest resumes at the next start
        batches.ifPresent(b -> b.close(drainTimeout));
        server.stop();
        edge.close();
        metrics.close();
        closeTelemetry();
        return clean;
    }

    private void closeTelemetry() {
        if (owned != null) {
            owned.close();
        }
    }

    /** Stops the server at once. */
    @Override
    public void close() {
        batches.ifPresent(b -> b.close(Duration.ofSeconds(5)));
        server.stop();
        edge.close();
        metrics.close();
        closeTelemetry();
    }
}
