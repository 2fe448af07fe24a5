package io.micromesh.engines.llamacpp;

import io.micromesh.api.MeshRequest;
import io.micromesh.core.config.Engine;
import io.micromesh.core.config.Hardware;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.dispatch.Admission;
import io.micromesh.core.dispatch.GateSettings;
import io.micromesh.core.dispatch.ReplicaGate;
import io.micromesh.core.spi.Backend;
import io.micromesh.core.MeshException;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ChunkSink;
import io.micromesh.core.spi.GateGauges;
import io.micromesh.core.spi.Usage;
import io.micromesh.engines.gguf.GgufException;
import io.micromesh.engines.gguf.GgufFile;
import io.micromesh.engines.openai.OpenAiBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An {@code engine: llamacpp} model served by an engine worker ({@code mesh engine}) that this
 * process starts, watches and stops. Requests go to the worker through {@link OpenAiBackend}, the
 * same code as for any remote server. The worker is a child process with a pipe on its standard
 * input that it watches: when this process dies, even by {@code kill -9}, the kernel closes the
 * pipe and the worker exits by itself, so no worker outlives its gateway.
 *
 * <p>Life of a worker: the file's header is checked before anything starts (a missing or foreign
 * file makes the model {@code unavailable} with the reason, and the rest of the portfolio serves);
 * {@code starting} until the worker prints its address; {@code ready}; when it dies, requests in
 * flight fail with a retriable error, the model is {@code down} and the worker is started again
 * after a back-off that doubles from 1 s to 60 s (and starts over once a worker has lived a
 * minute). A worker that refuses to start (exit status 2: bad arguments or a model llama.cpp
 * cannot load) is not restarted. Thread-safe.
 */
public final class SupervisedWorker implements Backend {

    private static final Logger LOG = Logger.getLogger("io.micromesh.worker");
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
    private static final Duration STABLE = Duration.ofSeconds(60);
    private static final int USER_ERROR_EXIT = 2;
    private static final int STDERR_LINES_KEPT = 20;

    private final ModelSpec.LlamaCpp spec;
    private final List<String> command;
    private final Clock clock;
    private final Executor background;
    private final Thread supervisor;
    private final Deque<String> lastErrors = new ArrayDeque<>();

    private volatile BackendHealth health;
    private volatile OpenAiBackend delegate;
    private volatile Process process;
    private volatile boolean closed;
    private volatile int restarts;
    private final ReplicaGate gate;

    private SupervisedWorker(ModelSpec.LlamaCpp spec, GateSettings gates, List<String> command, Clock clock, Executor background) {
        this.spec = spec;
        this.gate = new ReplicaGate(spec.id() + "@worker", gates, System::nanoTime);
        this.command = command;
        this.clock = clock;
        this.background = background;
        this.health = new BackendHealth(BackendHealth.State.STARTING, "starting an engine worker for " + spec.file());
        this.supervisor = Thread.ofPlatform().daemon().name("supervise-" + spec.id()).unstarted(this::supervise);
    }

    /**
     * Starts supervising a worker for {@code spec}; answers at once, the worker loads in the background.
     *
     * @param mesh       how to run the {@code mesh} command in a new JVM (java, its options, the main class)
     * @param gates      how the worker admits requests: its slots in flight, the others waiting in lanes
     * @param background where the client's background work (probes) runs
     */
    public static SupervisedWorker start(ModelSpec.LlamaCpp spec, GateSettings gates, List<String> mesh, Clock clock,
                                         Executor background) {
        if (spec.engine() != Engine.LLAMACPP) {
            throw new IllegalArgumentException("not a llamacpp model: " + spec.id());
        }
        SupervisedWorker worker = new SupervisedWorker(spec, gates, List.copyOf(mesh), clock, background);
        worker.supervisor.start();
        return worker;
    }

    /** The command line of the worker: the {@code mesh engine} of this model. */
    List<String> workerCommand() {
        List<String> line = new ArrayList<>(command);
        line.addAll(List.of("engine", "--model", spec.file(), "--name", spec.id(), "--port", "0",
                "--slots", String.valueOf(spec.slots()),
                "--ctx", String.valueOf(spec.contextWindow().orElse(4096)),
                "--no-access-log", "--exit-with-stdin"));
        spec.hardwareShare().flatMap(Hardware::cpu)
                .ifPresent(share -> line.addAll(List.of("--threads", String.valueOf(share.cores()))));
        return line;
    }

    @Override
    public BackendReply call(MeshRequest request) {
        return call(request, Admission.DEFAULT);
    }

    @Override
    public BackendReply call(MeshRequest request, Admission admission) {
        return admitted(admission, () -> ready().call(request), reply -> reply.tokens().completion());
    }

    @Override
    public Usage stream(MeshRequest request, ChunkSink sink) {
        return stream(request, sink, Admission.DEFAULT);
    }

    @Override
    public Usage stream(MeshRequest request, ChunkSink sink, Admission admission) {
        return admitted(admission, () -> ready().stream(request, sink), Usage::completion);
    }

    /**
     * Runs a call to the worker once the gate admits it (fails at once while the worker is not
     * ready), and gives the place back with the tokens generated, or as overloaded after a timeout.
     */
    private <T> T admitted(Admission admission, java.util.function.Supplier<T> call, java.util.function.ToLongFunction<T> generated) {
        ready();
        ReplicaGate.Permit permit = gate.acquire(admission);
        boolean overloaded = false;
        long tokens = 0;
        try {
            T result = call.get();
            tokens = generated.applyAsLong(result);
            return result;
        } catch (MeshException e) {
            overloaded = e.failure() == MeshException.Failure.TIMEOUT;
            throw e;
        } finally {
            permit.release(overloaded, tokens);
        }
    }

    @Override
    public List<GateGauges> gates() {
        return List.of(gate);
    }

    @Override
    public BackendHealth health() {
        OpenAiBackend client = delegate;
        return client == null ? health : client.health().state() == BackendHealth.State.READY
                ? BackendHealth.ready(health.detail()) : client.health();
    }

    /** The worker's process id, while one runs. */
    public long pid() {
        Process running = process;
        return running == null ? -1 : running.pid();
    }

    /** How often the worker was started again after it died. */
    public int restarts() {
        return restarts;
    }

    /** Stops the worker: its standard input closes, it drains and exits; it is killed if it does not within 10 s. */
    @Override
    public void close() {
        closed = true;
        supervisor.interrupt();
        Process running = process;
        if (running != null) {
            stop(running);
        }
        OpenAiBackend client = delegate;
        if (client != null) {
            client.close();
        }
        try {
            supervisor.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private OpenAiBackend ready() {
        OpenAiBackend client = delegate;
        if (client == null) {
            BackendHealth now = health;
            throw MeshException.unavailable("model '" + spec.id() + "' is not ready: " + now.detail(),
                    now.state() == BackendHealth.State.UNAVAILABLE ? Duration.ofSeconds(60) : Duration.ofSeconds(2));
        }
        return client;
    }

    private void supervise() {
        try {
            GgufFile.read(Path.of(spec.file()));
        } catch (GgufException e) {
            String remedy = spec.pull() == null ? "" : "; download it with: ./mesh pull " + spec.pull() + " --dir "
                    + Path.of(spec.file()).toAbsolutePath().getParent();
            health = new BackendHealth(BackendHealth.State.UNAVAILABLE, e.getMessage() + remedy);
            LOG.warning("model '" + spec.id() + "' will not be served: " + e.getMessage());
            return;
        }
        Duration backoff = FIRST_BACKOFF;
        while (!closed) {
            Instant started = clock.instant();
            int status;
            try {
                status = runOnce();
            } catch (IOException e) {
                status = -1;
                remember("cannot start the worker: " + e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            String last = lastError();
            if (status == USER_ERROR_EXIT) {
                health = new BackendHealth(BackendHealth.State.UNAVAILABLE, "the engine worker refused to start: " + last);
                LOG.warning("model '" + spec.id() + "' will not be served: " + last);
                return;
            }
            if (Duration.between(started, clock.instant()).compareTo(STABLE) > 0) {
                backoff = FIRST_BACKOFF;
            }
            health = new BackendHealth(BackendHealth.State.DOWN, "the engine worker " + exit(status, last)
                    + "; restarting in " + backoff.toSeconds() + " s");
            LOG.warning("model '" + spec.id() + "': " + health.detail());
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            restarts++;
        }
    }

    /** Starts a worker, serves through it until it exits, and answers its exit status. */
    private int runOnce() throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(workerCommand());
        // the worker listens on loopback for this gateway only; the gateway's own API key (which
        // `mesh engine` would read from the environment) must not lock the gateway out of it
        builder.environment().remove("MESH_API_KEY");
        Process child = builder.start();
        process = child;
        if (closed) {
            stop(child);  // closed while it was starting: close() may not have seen it
        }
        health = new BackendHealth(BackendHealth.State.STARTING, "loading " + spec.file() + " (worker pid " + child.pid() + ")");
        OutputStream lifeline = child.getOutputStream();  // held open: its end tells the worker we are gone
        Thread errors = Thread.ofPlatform().daemon().name("worker-log-" + spec.id()).start(() -> pumpErrors(child));
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                Matcher listening = LISTENING.matcher(line);
                if (listening.find()) {
                    admit(listening.group(1), child);
                    break;
                }
            }
            while (out.readLine() != null) {
                // keep the pipe drained
            }
        }
        int status = child.waitFor();
        errors.join(Duration.ofSeconds(2));  // its last words, for the status detail
        OpenAiBackend client = delegate;
        delegate = null;
        if (client != null) {
            client.close();
        }
        lifeline.close();
        return status;
    }

    /** How a worker ended, in words: a signal says more than its last log line. */
    private static String exit(int status, String lastLine) {
        if (status > 128 && status < 160) {
            return "was killed by signal " + (status - 128);
        }
        return "exited with status " + status + (lastLine.isEmpty() ? "" : " (" + lastLine + ")");
    }

    private void admit(String url, Process child) {
        delegate = OpenAiBackend.create(clientSpec(url), clock, background);
        // the worker's address is for the log only: /v1/models shows this detail to every client
        health = BackendHealth.ready("engine worker pid " + child.pid() + (restarts == 0 ? "" : ", restarts: " + restarts));
        LOG.info("model '" + spec.id() + "' ready: " + health.detail() + ", at " + url);
    }

    /** The worker seen as an OpenAI-compatible server. */
    private ModelSpec.OpenAi clientSpec(String url) {
        return ModelSpec.OpenAi.at(spec.id(), url + "/v1", spec.contextWindow().orElse(null));
    }

    private void pumpErrors(Process child) {
        try (BufferedReader err = new BufferedReader(new InputStreamReader(child.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = err.readLine()) != null) {
                remember(line);
                LOG.log(Level.INFO, "[" + spec.id() + "] " + line);
            }
        } catch (IOException e) {
            // the worker is gone; its exit is handled by the supervisor
        }
    }

    private void remember(String line) {
        synchronized (lastErrors) {
            if (lastErrors.size() == STDERR_LINES_KEPT) {
                lastErrors.removeFirst();
            }
            lastErrors.addLast(line);
        }
    }

    private String lastError() {
        synchronized (lastErrors) {
            for (var lines = lastErrors.descendingIterator(); lines.hasNext(); ) {
                String line = lines.next().strip();
                if (!line.isEmpty()) {
                    return line;
                }
            }
            return "";
        }
    }

    private static void stop(Process running) {
        try {
            running.getOutputStream().close();
            if (!running.waitFor(10, TimeUnit.SECONDS)) {
                running.destroy();
                if (!running.waitFor(5, TimeUnit.SECONDS)) {
                    running.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
        } catch (IOException e) {
            running.destroyForcibly();
        } catch (InterruptedException e) {
            running.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
