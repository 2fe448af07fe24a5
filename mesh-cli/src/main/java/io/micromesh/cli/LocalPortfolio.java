package io.micromesh.cli;

import io.micromesh.core.config.ConfigException;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.engines.pull.ProgressListener;
import io.micromesh.server.MeshRuntime;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** The portfolio of a configuration started in this process, for the commands that run items in it (batch, worker). */
final class LocalPortfolio {

    private LocalPortfolio() {
    }

    /** Reads a configuration; a mistake is the user's, in one line. */
    static MeshConfig load(Path config) {
        try {
            return ConfigLoader.withSystemEnvironment().load(config);
        } catch (ConfigException e) {
            throw new UserError(e.getMessage());
        }
    }

    /**
     * Starts the portfolio of {@code mesh} (its requests go through its dispatcher, no HTTP) and waits
     * for its engine workers to load, saying so on {@code err} as {@code who}.
     */
    static MeshRuntime start(MeshConfig mesh, Path config, PrintWriter err, String who) throws InterruptedException {
        MeshRuntime runtime;
        try {
            runtime = MeshRuntime.open(mesh, new MeshRuntime.Options(ServeCommand.workerCommand(), true,
                    file -> ProgressListener.none(), line -> {
                        err.println(line);
                        err.flush();
                    }, Clock.systemUTC()));
        } catch (MeshRuntime.StartException e) {
            throw new UserError(e.getMessage());
        }
        runtime.awaitSettled(Duration.ofMinutes(10), () -> {
            err.println(who + ": waiting for the engine workers of " + config + " to load ...");
            err.flush();
        });
        return runtime;
    }
}
