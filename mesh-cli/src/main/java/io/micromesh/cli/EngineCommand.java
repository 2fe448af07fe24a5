package io.micromesh.cli;

import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Tariff;
import io.micromesh.core.config.Capability;
import io.micromesh.core.config.ConfigException;
import io.micromesh.core.config.Hardware;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.config.Price;
import io.micromesh.core.config.ServerSettings;
import io.micromesh.engines.gguf.GgufException;
import io.micromesh.engines.gguf.GgufFile;
import io.micromesh.engines.llamacpp.LlamaBackend;
import io.micromesh.server.Gateway;
import io.micromesh.server.MeshRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mesh engine}: one GGUF model served over the OpenAI API by llama.cpp, in this process, for
 * its whole life. {@code mesh serve} starts one per {@code engine: llamacpp} model as a child
 * process; it also runs on its own, as a plain OpenAI-compatible backend on another machine.
 */
@Command(name = "engine",
        mixinStandardHelpOptions = true,
        description = {"Serve one GGUF model over the OpenAI API (chat and text completions, streaming,"
                + " JSON output) with llama.cpp on this machine's CPU.",
                "Prints 'micromesh engine listening on http://HOST:PORT' once the model is loaded."})
final class EngineCommand implements Callable<Integer> {

    /** The default context window per slot when the model does not say a smaller one. */
    static final int DEFAULT_CONTEXT = 4096;

    @Option(names = "--model", paramLabel = "FILE.gguf", required = true, description = "The GGUF model file.")
    Path model;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8081",
            description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = ServerSettings.DEFAULT_HOST,
            description = "Interface to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--slots", paramLabel = "S", defaultValue = "1",
            description = "Requests generated side by side, with continuous batching (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--ctx", paramLabel = "C",
            description = "Context window of each slot, in tokens (default: the model's, at most " + DEFAULT_CONTEXT + ").")
    Integer context;

    @Option(names = "--threads", paramLabel = "T",
            description = "CPU threads for llama.cpp (default: all cores).")
    Integer threads;

    @Option(names = "--name", paramLabel = "ID",
            description = "The model name clients use (default: the file name without .gguf).")
    String name;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:MESH_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' (default: $MESH_API_KEY, else none).")
    String apiKey;

    @Option(names = "--watts", paramLabel = "W",
            description = "Power of the CPU cores given to the worker, for usage.energy_wh (method cpu-time).")
    Double watts;

    @Option(names = "--cores", paramLabel = "N",
            description = "How many cores --watts is for (default: --threads).")
    Integer cores;

    @Option(names = "--no-access-log", description = "Do not log one line per request (a supervisor logs them).")
    boolean noAccessLog;

    @Option(names = "--verbose", description = "Let llama.cpp log its work (every request) to standard error.")
    boolean verbose;

    @Option(names = "--exit-with-stdin", hidden = true,
            description = "Exit when standard input closes: how a worker notices that its supervisor died.")
    boolean exitWithStdin;

    /**
     * Has the llama.cpp binding extract its native library into a folder of this process's own.
     * By default every process extracts it to the same {@code /tmp/libjllama.so}: workers started
     * together (several models, or a restart beside a running one) then load a file another is
     * still writing, and the JVM dies in native code (seen with four workers started at once).
     */
    private static void privateNativeLibraryFolder() {
        if (System.getProperty("de.kherud.llama.tmpdir") != null) {
            return;
        }
        try {
            java.nio.file.Path folder = java.nio.file.Files.createTempDirectory("mesh-engine-");
            folder.toFile().deleteOnExit();
            // registered after the folder, so deleted before it (the folder must be empty by then)
            folder.resolve(System.mapLibraryName("jllama")).toFile().deleteOnExit();
            System.setProperty("de.kherud.llama.tmpdir", folder.toString());
        } catch (java.io.IOException e) {
            throw new UserError("cannot create a temporary folder for the llama.cpp library: " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        if (exitWithStdin) {
            watchStdin();
        }
        privateNativeLibraryFolder();
        GgufFile header;
        try {
            header = GgufFile.read(model);
        } catch (GgufException e) {
            throw new UserError(e.getMessage());
        }
        int window = context != null ? context : (int) Math.min(DEFAULT_CONTEXT,
                header.integer(header.string("general.architecture").orElse("llama") + ".context_length")
                        .orElse((long) DEFAULT_CONTEXT));
        int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        ModelSpec.LlamaCpp spec = spec(window, threadCount);
        LlamaBackend backend;
        try {
            backend = LlamaBackend.load(new LlamaBackend.Options(model, spec.id(), slots, window, threadCount, verbose),
                    LlamaBackend.processLedger(), Clock.systemUTC());
        } catch (RuntimeException e) {
            throw new UserError("cannot load " + model + " with llama.cpp: " + e.getMessage());
        }
        MeshRuntime runtime = MeshRuntime.over(new Portfolio(List.of(new ServedModel(spec, backend, Tariff.of(spec)))),
                Clock.systemUTC());
        Gateway gateway;
        ServerSettings settings = new ServerSettings(host, port, apiKey, null, null, !noAccessLog, null, null,
                null, null, null, null, null, null, null, null, null, null);
        try {
            gateway = runtime.serve(settings);
        } catch (MeshRuntime.StartException e) {
            runtime.close();
            throw new UserError(e.getMessage());
        }
        System.out.println("micromesh engine listening on http://" + host + ":" + gateway.port()
                + " (model " + spec.id() + ", " + slots + " slots of " + window + " tokens, " + threadCount + " threads)");
        System.out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            runtime.drainAndStop();
            stopped.countDown();
        }, "mesh-engine-shutdown"));
        stopped.await();
        return 0;
    }

    private ModelSpec.LlamaCpp spec(int window, int threadCount) {
        String id = name != null ? name : model.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
        try {
            if (slots < 1 || slots > 256) {
                throw new ConfigException("--slots", slots + " is not allowed; 1 to 256");
            }
            Hardware hardware = watts == null ? null
                    : new Hardware.Cpu(cores != null ? cores : threadCount, watts);
            return new ModelSpec.LlamaCpp(new ModelSpec.Basics(id, window, Price.FREE, null, hardware,
                    EnumSet.of(Capability.CHAT, Capability.COMPLETIONS, Capability.JSON, Capability.TOOLS)), model.toString(), null, slots, 256);
        } catch (ConfigException e) {
            throw new UserError(e.getMessage());
        }
    }

    /**
     * Exits when standard input reaches its end. The supervisor holds the other end of the pipe;
     * when it dies, even by {@code kill -9}, the kernel closes it and this worker follows.
     */
    private static void watchStdin() {
        Thread.ofPlatform().daemon().name("parent-watch").start(() -> {
            try {
                while (System.in.read() != -1) {
                    // the supervisor writes nothing; any byte is ignored
                }
            } catch (IOException e) {
                // a broken pipe means the same as its end
            }
            System.err.println("mesh engine: standard input closed (the supervisor stops or is gone); exiting");
            System.exit(0);
        });
    }
}
