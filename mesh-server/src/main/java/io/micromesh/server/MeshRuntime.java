package io.micromesh.server;

import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.config.ServerSettings;
import io.micromesh.core.dispatch.Dispatcher;
import io.micromesh.core.outcomes.OutcomeStore;
import io.micromesh.core.routing.Learning;
import io.micromesh.core.routing.Router;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.TextEncoder;
import io.micromesh.engines.Engines;
import io.micromesh.engines.pull.ModelPull;
import io.micromesh.engines.pull.ProgressListener;
import io.micromesh.engines.pull.PullException;
import io.micromesh.jobs.ItemSender;
import io.micromesh.core.spi.UsageSink;
import io.micromesh.store.Database;
import io.micromesh.store.JdbcOutcomeStore;
import io.micromesh.store.Ledger;
import io.micromesh.store.Budgets;
import io.micromesh.store.KeyStore;
import io.micromesh.core.accounting.Spending;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A configuration's portfolio running in this process, assembled in one place for every command
 * that needs it ({@code mesh serve}, {@code mesh batch run}, {@code mesh engine}, server-side jobs):
 * missing model files fetched, the engines opened (engine workers as child processes), the store
 * ({@code store:}, SQLite in the state folder by default) with what routes learn and the usage
 * ledger, the router, and the {@link Dispatcher} over them whose usage records the gateway's metrics
 * count and the ledger keeps. {@link #serve} puts the HTTP gateway in front of it; batch jobs call
 * the dispatcher directly. Close it to stop the gateway, write the ledger's last records, and stop
 * the engines and the store.
 */
public final class MeshRuntime implements AutoCloseable {

    /**
     * How a runtime starts.
     *
     * @param workerCommand how to run {@code mesh} in a new JVM, for engine workers; empty to run none
     *                      (the {@code llamacpp} models then answer 503)
     * @param offline       do not download missing model files
     * @param downloads     the progress of a download, by file name
     * @param notices       where messages for the person who started it go (one line each)
     * @param clock         the time of back-offs, records and the models' {@code created}
     */
    public record Options(List<String> workerCommand, boolean offline, Function<String, ProgressListener> downloads,
                          Consumer<String> notices, Clock clock) {

        /** No engine workers, no downloads, no messages, the system clock: for tests and tools. */
        public static Options quiet() {
            return new Options(List.of(), true, name -> ProgressListener.none(), line -> { }, Clock.systemUTC());
        }
    }

    /** Why a runtime could not start; the message says what to do. */
    public static final class StartException extends RuntimeException {
        StartException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Portfolio portfolio;
    private final Optional<OutcomeStore> store;
    private final Optional<Database> database;
    private final Optional<Accounts> accounts;
    private final Telemetry telemetry;
    private final Dispatcher dispatcher;
    private final GatewayMetrics metrics;
    private final ExecutorService background;
    private final Clock clock;
    private final io.micromesh.core.config.KafkaSettings kafka;
    private Gateway gateway;

    private MeshRuntime(Portfolio portfolio, Optional<Database> database, Optional<OutcomeStore> store,
                        Optional<Accounts> accounts, Telemetry telemetry, Router router, ExecutorService background,
                        Clock clock, io.micromesh.core.config.KafkaSettings kafka, ServerSettings.Cache cacheBounds) {
        this.kafka = kafka;
        this.telemetry = telemetry;
        this.portfolio = portfolio;
        this.database = database;
        this.store = store;
        this.accounts = accounts;
        this.background = background;
        this.clock = clock;
        this.metrics = new GatewayMetrics();
        UsageSink usage = accounts.<UsageSink>map(a -> UsageSink.all(List.of(metrics, a.ledger()))).orElse(metrics);
        Spending spending = accounts.<Spending>map(Accounts::budgets).orElse(Spending.NONE);
        Optional<io.micromesh.core.spi.SharedAnswers> sharedAnswers = database.map(db -> new io.micromesh.store.AnswerStore(db, clock));
        this.dispatcher = new Dispatcher(portfolio, router, new Learning(router, store), usage, spending, telemetry.api(),
                sharedAnswers, cacheBounds, clock, System::nanoTime);
    }

    /**
     * Starts the portfolio of {@code mesh}: fetches missing model files (unless offline), opens the
     * engines, the store (the outcomes of routes that learn, and the usage ledger) and the router.
     *
     * @throws StartException when the store cannot be opened or the routes cannot be prepared
     */
    public static MeshRuntime open(MeshConfig mesh, Options options) {
        Database database;
        try {
            database = Database.open(mesh.store(), Path.of(mesh.server().stateDir()));
        } catch (RuntimeException e) {
            throw new StartException("cannot open the store: " + rootMessage(e), e);
        }
        try {
            database.migrate("gateway");
        } catch (RuntimeException e) {
            database.close();
            throw new StartException("cannot open the store " + database.where() + ": " + rootMessage(e), e);
        }
        pullMissingModels(mesh, options);
        ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
        Portfolio portfolio = Engines.open(mesh, options.clock(), background, options.workerCommand());
        Ledger ledger = null;
        Budgets budgets = null;
        try {
            Optional<OutcomeStore> store = mesh.routes().stream().anyMatch(RouteSpec::learns)
                    ? Optional.of(JdbcOutcomeStore.in(database, options.clock())) : Optional.empty();
            Router router = store.isPresent() ? Router.over(mesh.routes(), portfolio, store.get())
                    : Router.over(mesh.routes(), portfolio);
            ledger = new Ledger(database, options.clock(), Duration.ofDays(mesh.store().retentionDays()));
            budgets = new Budgets(database, options.clock(), longestCall(mesh).plusMinutes(1));
            Accounts accounts = new Accounts(ledger, new KeyStore(database, options.clock()), budgets,
                    new io.micromesh.store.FileStore(database, Path.of(mesh.server().stateDir(), "files"), options.clock()),
                    new io.micromesh.store.BatchStore(database, options.clock()),
                    new io.micromesh.store.DocumentIndex(database, options.clock()),
                    new io.micromesh.store.ResponseStore(database, options.clock()));
            return new MeshRuntime(portfolio, Optional.of(database), store, Optional.of(accounts),
                    Telemetry.of(mesh.server()), router, background, options.clock(), mesh.kafka(), mesh.server().cache());
        } catch (RuntimeException e) {
            if (ledger != null) {
                ledger.close();
            }
            if (budgets != null) {
                budgets.close();
            }
            database.close();
            portfolio.close();
            background.shutdownNow();
            throw new StartException("cannot prepare the routes: " + rootMessage(e), e);
        }
    }

    /** A runtime over a portfolio already opened (an engine worker's one model), without routes; it owns the portfolio. */
    public static MeshRuntime over(Portfolio portfolio, Clock clock) {
        return new MeshRuntime(portfolio, Optional.empty(), Optional.empty(), Optional.empty(),
                Telemetry.of(ServerSettings.defaults()), Router.over(List.of(), portfolio),
                Executors.newVirtualThreadPerTaskExecutor(), clock, io.micromesh.core.config.KafkaSettings.defaults(),
                new ServerSettings.Cache(null, null));
    }

    /**
     * Starts the HTTP gateway over this runtime.
     *
     * @throws StartException when the port cannot be bound
     * @throws IllegalStateException when a gateway is already serving
     */
    public synchronized Gateway serve(ServerSettings settings) {
        if (gateway != null) {
            throw new IllegalStateException("this runtime already serves on port " + gateway.port());
        }
        try {
            gateway = Gateway.start(settings, dispatcher, metrics, accounts, telemetry, kafka, clock);
        } catch (RuntimeException e) {
            throw new StartException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + rootMessage(e), e);
        }
        return gateway;
    }

    /** The one request path over the portfolio. */
    public Dispatcher dispatcher() {
        return dispatcher;
    }

    /**
     * Where a batch job's requests go to be run in this process, through the dispatcher.
     *
     * @param keyId who runs the job, for the usage records
     */
    public ItemSender itemSender(String keyId) {
        return new DispatchSender(dispatcher, keyId, telemetry.api());
    }

    /** The portfolio's first in-process encoder, if it has one. */
    public Optional<TextEncoder> encoder() {
        return portfolio.models().stream().map(ServedModel::backend).filter(TextEncoder.class::isInstance)
                .map(TextEncoder.class::cast).findFirst();
    }

    /** Whether every model is past starting (engine workers loaded or given up). */
    public boolean settled() {
        return portfolio.models().stream().noneMatch(m -> m.backend().health().state() == BackendHealth.State.STARTING);
    }

    /**
     * Waits until every model is past starting or {@code bound} passes, telling {@code waiting} every
     * couple of seconds while it waits.
     *
     * @return whether every model settled in time
     */
    public boolean awaitSettled(Duration bound, Runnable waiting) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!settled() && System.nanoTime() < deadline) {
            waiting.run();
            Thread.sleep(2000);
        }
        return settled();
    }

    /** The usage ledger, when this runtime keeps one (not an engine worker's). */
    public Optional<Ledger> ledger() {
        return accounts.map(Accounts::ledger);
    }

    /** The longest a call to any model of {@code mesh} may take (its {@code deadline-ms}): how long a budget's reservation lasts. */
    private static Duration longestCall(MeshConfig mesh) {
        return Duration.ofMillis(mesh.models().stream()
                .mapToLong(m -> m instanceof ModelSpec.OpenAi remote ? remote.deadlineMs() : Duration.ofMinutes(10).toMillis())
                .max().orElse(Duration.ofMinutes(10).toMillis()));
    }

    /**
     * Drains the gateway, when one serves (requests in flight finish within the drain timeout), writes
     * the ledger's last records, then stops the engines and closes the store.
     *
     * @return true when every request in flight finished in time
     */
    public synchronized boolean drainAndStop() {
        boolean clean = gateway == null || gateway.drainAndStop();
        accounts.ifPresent(a -> {
            a.ledger().close();
            a.budgets().close();
        });
        telemetry.close();
        store.ifPresent(OutcomeStore::close);
        database.ifPresent(Database::close);
        portfolio.close();
        metrics.close();
        background.shutdownNow();
        return clean;
    }

    @Override
    public void close() {
        drainAndStop();
    }

    /**
     * Downloads the file of each model that is missing and has a {@code pull} source, unless offline.
     * A failed download is reported with the command that retries it; the model is then unavailable
     * and the rest of the portfolio serves.
     */
    private static void pullMissingModels(MeshConfig mesh, Options options) {
        Consumer<String> say = options.notices();
        for (ModelSpec spec : mesh.models()) {
            if (!(spec instanceof ModelSpec.FromFile model) || model.pullSource().isEmpty()
                    || Files.exists(Path.of(model.file()))) {
                continue;
            }
            String source = model.pullSource().get();
            Path file = Path.of(model.file()).toAbsolutePath();
            String retry = "./mesh pull " + source + " --dir " + Path.of("").toAbsolutePath().relativize(file.getParent());
            if (options.offline()) {
                say.accept("mesh: model '" + spec.id() + "': " + model.file() + " is missing and downloads are off;"
                        + " download it with: " + retry);
                continue;
            }
            if (!ModelPull.fileName(source).equals(file.getFileName().toString())) {
                say.accept("mesh: model '" + spec.id() + "': 'pull' fetches " + ModelPull.fileName(source)
                        + " but 'file' is " + file.getFileName() + "; not downloading. Make them name the same file.");
                continue;
            }
            say.accept("mesh: model '" + spec.id() + "': " + model.file() + " is missing; downloading "
                    + source + " (once; start with --offline to skip)");
            try {
                ModelPull.withSystemEnvironment().pull(source, file.getParent(),
                        options.downloads().apply(file.getFileName().toString()));
            } catch (PullException e) {
                say.accept("mesh: model '" + spec.id() + "': download failed: " + e.getMessage());
                say.accept("mesh: the rest of the portfolio serves; retry with: " + retry);
            }
        }
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }
}
