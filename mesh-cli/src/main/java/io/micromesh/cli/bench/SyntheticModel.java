package io.micromesh.cli.bench;

import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model of a real shape with random weights, served by an engine worker, for measuring on this
 * machine the speed of models whose weights cannot be downloaded here. Its answers are noise; its
 * speed is real, except for the output layer and sampling, which are smaller than the real model's
 * (the writer's byte-level vocabulary has 261 tokens where Granite's has 49,155).
 */
public final class SyntheticModel implements AutoCloseable {

    /** Named shapes: IBM Granite 3.x dense models, from their published configurations. */
    static final Map<String, Shape> NAMED = Map.of(
            "granite-3-2b", Shape.granite2b(GgmlType.Q4_0),
            "granite-3-8b", new Shape(40, 4096, 32, 8, 12800, 4096, GgmlType.Q4_0));

    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

    private final Process worker;
    private final String url;
    private final String name;

    private SyntheticModel(Process worker, String url, String name) {
        this.worker = worker;
        this.url = url;
        this.name = name;
    }

    /**
     * The shape of a name: a named shape, or explicit dimensions
     * {@code layers=L,width=W,heads=H,kv-heads=K,ff=F}; {@code type} sets the weight encoding.
     *
     * @throws BenchException for an unknown name, a shape the writer cannot express, or bad dimensions
     */
    static Shape shape(String spec, String type) {
        GgmlType encoding;
        try {
            encoding = GgmlType.valueOf(type.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BenchException("--synthetic-type '" + type + "' is not one of " + List.of(GgmlType.values()));
        }
        if (spec.equals("granite-3-1b-a400m") || spec.equals("granite-3-3b-a800m")) {
            throw new BenchException("--synthetic-model " + spec + " is a mixture of experts; the GGUF writer writes"
                    + " dense llama models only, so it cannot express that shape (use explicit dimensions for a dense"
                    + " model of similar active size, e.g. layers=24,width=1024,heads=16,kv-heads=8,ff=512)");
        }
        Shape named = NAMED.get(spec);
        if (named != null) {
            return new Shape(named.layers(), named.width(), named.heads(), named.kvHeads(), named.feedForward(),
                    named.context(), encoding);
        }
        Map<String, Integer> dims = new java.util.HashMap<>();
        for (String part : spec.split(",")) {
            String[] kv = part.split("=", 2);
            try {
                dims.put(kv[0].strip(), Integer.parseInt(kv[1].strip()));
            } catch (RuntimeException e) {
                throw new BenchException("--synthetic-model '" + spec + "' is not a known shape " + NAMED.keySet()
                        + " nor dimensions like layers=4,width=256,heads=4,kv-heads=2,ff=512");
            }
        }
        for (String key : List.of("layers", "width", "heads", "kv-heads", "ff")) {
            if (!dims.containsKey(key)) {
                throw new BenchException("--synthetic-model dimensions need " + key + "= (layers, width, heads, kv-heads, ff)");
            }
        }
        try {
            return new Shape(dims.get("layers"), dims.get("width"), dims.get("heads"), dims.get("kv-heads"),
                    dims.get("ff"), 4096, encoding);
        } catch (IllegalArgumentException e) {
            throw new BenchException("--synthetic-model '" + spec + "': " + e.getMessage());
        }
    }

    /**
     * Writes the model (once: it is kept in {@code dir} for later runs) and starts an engine worker on it.
     *
     * @param mesh how to run the {@code mesh} command in a new JVM
     */
    public static SyntheticModel start(String spec, String type, int slots, int context, Path dir, List<String> mesh) {
        Shape shape = shape(spec, type);
        String name = "synthetic-" + spec.replaceAll("[^A-Za-z0-9.-]+", "-") + "-" + shape.type().name();
        Path file = dir.resolve(name + ".gguf");
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(dir);
                System.err.println("mesh bench: writing " + file + " (random weights) ...");
                Path part = dir.resolve(name + ".gguf.part");
                GgufWriter.writeRandomLlama(part, shape, name, 1);
                Files.move(part, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            List<String> command = new ArrayList<>(mesh);
            command.addAll(List.of("engine", "--model", file.toString(), "--name", name, "--port", "0",
                    "--slots", String.valueOf(slots), "--ctx", String.valueOf(context), "--no-access-log", "--exit-with-stdin"));
            Process worker = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null) {
                Matcher listening = LISTENING.matcher(line);
                if (listening.find()) {
                    return new SyntheticModel(worker, listening.group(1) + "/v1", name);
                }
            }
            throw new BenchException("the engine worker for " + file + " exited with status " + worker.waitFor());
        } catch (IOException e) {
            throw new BenchException("cannot prepare the synthetic model: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while starting the synthetic model");
        }
    }

    /** The worker's API base URL. */
    public String url() {
        return url;
    }

    /** The model name the worker serves. */
    public String name() {
        return name;
    }

    @Override
    public void close() {
        try (OutputStream lifeline = worker.getOutputStream()) {
            lifeline.flush();  // closing it tells the worker to stop
        } catch (IOException e) {
            // it is gone already
        }
        try {
            if (!worker.waitFor(15, TimeUnit.SECONDS)) {
                worker.destroyForcibly();
            }
        } catch (InterruptedException e) {
            worker.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
