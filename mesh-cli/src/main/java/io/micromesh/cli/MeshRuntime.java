package io.micromesh.cli;

import io.micromesh.core.Portfolio;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.outcomes.OutcomeStore;
import io.micromesh.core.routing.Router;
import io.micromesh.engines.Engines;
import io.micromesh.server.Gateway;
import io.micromesh.store.JdbcOutcomeStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The portfolio of a configuration running in this process: its engines (with engine workers as
 * child processes), its router (with the outcome store when a route learns) and the gateway over
 * them. Used by {@code mesh serve}, and by {@code mesh batch run} without {@code --url}, which
 * talks to its own gateway on a loopback port.
 */
final class MeshRuntime implements AutoCloseable {

    private final Gateway gateway;
    private final Portfolio portfolio;
    private final Optional<OutcomeStore> store;
    private final ExecutorService background;

    private MeshRuntime(Gateway gateway, Portfolio portfolio, Optional<OutcomeStore> store, ExecutorService background) {
        this.gateway = gateway;
        this.portfolio = portfolio;
        this.store = store;
        this.background = background;
    }

    /**
     * Starts the portfolio, the router and the gateway of {@code mesh}.
     *
     * @param workerCommand how to run {@code mesh} in a new JVM, for engine workers
     * @throws UserError when the routes cannot be prepared or the port cannot be bound
     */
    static MeshRuntime start(MeshConfig mesh, List<String> workerCommand) {
        ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
        Portfolio portfolio = Engines.open(mesh, Clock.systemUTC(), background, workerCommand);
        // the outcome store is opened only when a route learns: other portfolios keep no state
        Optional<OutcomeStore> store = Optional.empty();
        Router router;
        try {
            if (mesh.routes().stream().anyMatch(RouteSpec::learns)) {
                store = Optional.of(JdbcOutcomeStore.open(Path.of(mesh.server().stateDir(), "mesh.db"), Clock.systemUTC()));
            }
            router = store.isPresent() ? Router.over(mesh.routes(), portfolio, store.get())
                    : Router.over(mesh.routes(), portfolio);
        } catch (RuntimeException e) {
            store.ifPresent(OutcomeStore::close);
            portfolio.close();
            background.shutdownNow();
            throw new UserError("cannot prepare the routes: " + rootMessage(e));
        }
        try {
            return new MeshRuntime(Gateway.start(mesh.server(), portfolio, router, store, Clock.systemUTC()), portfolio,
                    store, background);
        } catch (RuntimeException e) {
            store.ifPresent(OutcomeStore::close);
            portfolio.close();
            background.shutdownNow();
            throw new UserError("cannot listen on " + mesh.server().host() + ":" + mesh.server().port() + ": "
                    + rootMessage(e));
        }
    }

    Gateway gateway() {
        return gateway;
    }

    /** The portfolio's first in-process encoder, if it has one. */
    Optional<io.micromesh.core.spi.TextEncoder> encoder() {
        return portfolio.models().stream().map(m -> m.backend()).filter(io.micromesh.core.spi.TextEncoder.class::isInstance)
                .map(io.micromesh.core.spi.TextEncoder.class::cast).findFirst();
    }

    /** Whether every model of the portfolio is past starting (engine workers loaded or given up). */
    boolean settled() {
        return portfolio.models().stream().noneMatch(m -> m.backend().health().state()
                == io.micromesh.core.spi.BackendHealth.State.STARTING);
    }

    /**
     * Drains the gateway (requests in flight finish within the drain timeout), then stops the
     * engines and closes the store.
     *
     * @return true when every request in flight finished in time
     */
    boolean drainAndStop() {
        boolean clean = gateway.drainAndStop();
        store.ifPresent(OutcomeStore::close);
        portfolio.close();
        background.shutdownNow();
        return clean;
    }

    @Override
    public void close() {
        drainAndStop();
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }
}
