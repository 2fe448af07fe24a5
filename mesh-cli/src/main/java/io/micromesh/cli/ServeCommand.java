package io.micromesh.cli;

import io.micromesh.cli.pull.ProgressReporter;
import io.micromesh.core.config.ConfigException;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.server.Gateway;
import io.micromesh.server.MeshRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import java.io.PrintWriter;
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
        if (mesh.server().logFormat().equals("json")) {
            for (java.util.logging.Handler handler : java.util.logging.Logger.getLogger("").getHandlers()) {
                handler.setFormatter(new JsonLineFormatter());
            }
        }
        PrintWriter err = new PrintWriter(System.err, true);
        MeshRuntime runtime;
        Gateway gateway;
        try {
            runtime = MeshRuntime.open(mesh, new MeshRuntime.Options(workerCommand(), offline,
                    file -> ProgressReporter.forConsole(err, file, ProgressReporter.Unit.BYTES, Clock.systemUTC()),
                    err::println, Clock.systemUTC()));
        } catch (MeshRuntime.StartException e) {
            throw new UserError(e.getMessage());
        }
        try {
            gateway = runtime.serve(mesh.server());
        } catch (MeshRuntime.StartException e) {
            runtime.close();
            throw new UserError(e.getMessage());
        }
        System.out.println("micromesh listening on " + mesh.server().scheme() + "://" + mesh.server().host() + ":"
                + gateway.port());
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
