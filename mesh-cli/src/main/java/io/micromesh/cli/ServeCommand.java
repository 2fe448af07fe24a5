package io.micromesh.cli;

import io.micromesh.cli.pull.ModelPull;
import io.micromesh.cli.pull.ProgressReporter;
import io.micromesh.cli.pull.PullException;
import io.micromesh.core.config.ConfigException;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.server.Gateway;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code mesh serve}: the gateway over the configured portfolio, until SIGTERM or Ctrl-C. */
@Command(name = "serve",
        mixinStandardHelpOptions = true,
        description = {"Serve the OpenAI API over the portfolio of models in the configuration file.",
                "On SIGTERM (or Ctrl-C) it drains: new requests get 503, those in flight finish"
                        + " (within server.drain-timeout-ms), then it exits."})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "config/mesh.yaml",
            description = "The YAML configuration (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Listen on this port instead of server.port (0 picks a free one).")
    Integer port;

    @Option(names = "--check", description = "Validate the configuration, print a summary, and exit.")
    boolean check;

    @Option(names = "--offline", description = "Do not download missing model files (see 'mesh pull').")
    boolean offline;

    @Override
    public Integer call() throws InterruptedException {
        MeshConfig mesh = load();
        if (check) {
            System.out.println(config + ": valid; " + mesh.models().size() + " models: "
                    + mesh.models().stream().map(m -> m.id() + " (" + m.engine().key() + ")").toList()
                    + (mesh.routes().isEmpty() ? "" : "; " + mesh.routes().size() + " routes: "
                    + mesh.routes().stream().map(r -> r.name() + " (" + r.policy() + ")").toList()));
            return 0;
        }
        pullMissingModels(mesh);
        MeshRuntime runtime = MeshRuntime.start(mesh, workerCommand());
        Gateway gateway = runtime.gateway();
        System.out.println("micromesh listening on http://" + mesh.server().host() + ":" + gateway.port());
        System.out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("mesh: draining (" + gateway.inFlight() + " requests in flight) ...");
            boolean clean = runtime.drainAndStop();
            System.err.println(clean ? "mesh: stopped" : "mesh: stopped; some requests did not finish within server.drain-timeout-ms");
            stopped.countDown();
        }, "mesh-shutdown"));
        stopped.await();
        return 0;
    }

    /**
     * Downloads the file of each {@code llamacpp} or {@code whisper-cpp} model that is missing and has a {@code pull}
     * source, unless {@code --offline}. A failed download is reported with the command that
     * retries it; the model is then unavailable and the rest of the portfolio serves.
     */
    private void pullMissingModels(MeshConfig mesh) {
        for (ModelSpec model : mesh.models()) {
            if (model.file() == null || Files.exists(Path.of(model.file())) || model.pull() == null) {
                continue;
            }
            Path file = Path.of(model.file()).toAbsolutePath();
            String retry = "./mesh pull " + model.pull() + " --dir " + Path.of("").toAbsolutePath().relativize(file.getParent());
            if (offline) {
                System.err.println("mesh: model '" + model.id() + "': " + model.file() + " is missing (--offline);"
                        + " download it with: " + retry);
                continue;
            }
            if (!ModelPull.fileName(model.pull()).equals(file.getFileName().toString())) {
                System.err.println("mesh: model '" + model.id() + "': 'pull' fetches " + ModelPull.fileName(model.pull())
                        + " but 'file' is " + file.getFileName() + "; not downloading. Make them name the same file.");
                continue;
            }
            System.err.println("mesh: model '" + model.id() + "': " + model.file() + " is missing; downloading "
                    + model.pull() + " (once; start with --offline to skip)");
            try {
                PrintWriter err = new PrintWriter(System.err, true);
                ModelPull.withSystemEnvironment().pull(model.pull(), file.getParent(),
                        ProgressReporter.forConsole(err, file.getFileName().toString(), ProgressReporter.Unit.BYTES,
                                Clock.systemUTC()));
            } catch (PullException e) {
                System.err.println("mesh: model '" + model.id() + "': download failed: " + e.getMessage());
                System.err.println("mesh: the rest of the portfolio serves; retry with: " + retry);
            }
        }
    }

    /**
     * How engine workers are started: this JVM's java and class path, running {@code mesh}. A worker
     * needs little heap (the model lives in native memory).
     */
    static List<String> workerCommand() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), Main.class.getName());
    }

    private MeshConfig load() {
        try {
            MeshConfig mesh = ConfigLoader.withSystemEnvironment().load(config);
            return port == null ? mesh : mesh.withPort(port);
        } catch (ConfigException e) {
            throw new UserError(e.getMessage());
        }
    }

}
