package io.micromesh.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.api.Operation;
import io.micromesh.cli.bench.AgentBench;
import io.micromesh.cli.bench.BenchException;
import io.micromesh.cli.bench.Figures;
import io.micromesh.cli.bench.LoadGenerator;
import io.micromesh.cli.bench.Report;
import io.micromesh.cli.bench.SyntheticModel;
import io.micromesh.cli.bench.Workload;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mesh bench}: load any OpenAI-compatible endpoint (micromesh, an engine worker, vLLM ...)
 * at a fixed concurrency or a fixed rate, or a sweep of either, and report what serving engineers
 * measure. Its last line of output is one JSON object, a contract other checks rely on.
 */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Measure an OpenAI-compatible endpoint: requests/s, tokens/s, time to first token,"
                + " inter-token latency, time per output token, end-to-end latency (mean, p50, p90, p99), errors,"
                + " and micromesh's cost and energy.",
                "The last line of output is one JSON object with the figures (for a sweep: of its last point,"
                        + " with every point under \"points\")."})
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--url", paramLabel = "URL", description = "The API's base URL, e.g. http://127.0.0.1:8080/v1.")
    String url;

    @Option(names = "--endpoint", paramLabel = "chat|completions|embeddings|audio|route", defaultValue = "chat",
            description = "Which endpoint to load (default: ${DEFAULT-VALUE}); audio sends --audio FILE to"
                    + " /audio/transcriptions and reports audio seconds per second and the real-time factor;"
                    + " route times micromesh's routing decisions: chat bodies to POST /v1/route, no model called.")
    String endpoint;

    @Option(names = "--audio", paramLabel = "FILE.wav", description = "With --endpoint audio: the recording every request sends.")
    Path audioFile;

    @Option(names = "--model", paramLabel = "NAME", description = "The model (or route) to ask for.")
    String model;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "1", split = ",",
            description = "Requests in flight (with --rate: at most). A list sweeps (default: ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--rate", paramLabel = "QPS", split = ",",
            description = "Poisson arrivals at this many requests/s instead of a closed loop. A list sweeps.")
    List<Double> rate;

    @Option(names = "--requests", paramLabel = "R", description = "Measured requests per load point (default: 100, unless --duration).")
    Integer requests;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "Send measured requests for this long instead of --requests.")
    Double duration;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "0",
            description = "Requests sent before each load point and not measured (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--input-tokens", paramLabel = "I", defaultValue = "32",
            description = "Synthetic prompt length, about one token per word (default: ${DEFAULT-VALUE}).")
    int inputTokens;

    @Option(names = "--output-tokens", paramLabel = "O",
            description = "max_tokens of each request (default: 64 for chat and completions).")
    Integer outputTokens;

    @Option(names = "--ignore-eos", description = "Ask the server to generate all O tokens (vLLM and micromesh engines honour it).")
    boolean ignoreEos;

    @Option(names = "--stream", description = "Stream answers (needed for time to first token and inter-token latency).")
    boolean stream;

    @Option(names = "--prompts", paramLabel = "FILE.jsonl",
            description = "Prompts from a file: OpenAI chat bodies or {\"prompt\": ...} lines, used in turn.")
    Path prompts;

    @Option(names = "--compare", paramLabel = "URL2",
            description = "Run the same load against URL2 too, alternating (A B A B), and print the ratio of each figure.")
    String compare;

    @Option(names = "--compare-model", paramLabel = "NAME2", description = "The model to ask URL2 for (default: --model).")
    String compareModel;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "2",
            description = "With --compare: rounds of A then B per load point (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--synthetic-model", paramLabel = "SHAPE",
            description = "Benchmark a random-weight model of this shape on an engine worker started here: granite-3-2b,"
                    + " granite-3-8b, or layers=L,width=W,heads=H,kv-heads=K,ff=F. Speed is real, answers are noise.")
    String syntheticModel;

    @Option(names = "--synthetic-type", paramLabel = "TYPE", defaultValue = "Q4_0",
            description = "Weight encoding of the synthetic model: F32, F16, Q8_0, Q4_0 (default: ${DEFAULT-VALUE}).")
    String syntheticType;

    @Option(names = "--synthetic-dir", paramLabel = "DIR", defaultValue = "models/synthetic",
            description = "Where synthetic models are written and kept (default: ${DEFAULT-VALUE}).")
    Path syntheticDir;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:MESH_API_KEY}",
            description = "Bearer token (default: $MESH_API_KEY).")
    String apiKey;

    @Option(names = "--header", paramLabel = "NAME:VALUE",
            description = "An extra request header, repeatable (e.g. x-mesh-priority:agent).")
    List<String> headers = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "Longest silence of the server before a request counts as a timeout (default: ${DEFAULT-VALUE}).")
    double timeout;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of prompts and arrivals (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--catalog-entry", paramLabel = "NAME", description = "Also print a deployment NAME for mesh plan's"
            + " catalog from what was measured (tokens or audio seconds a second, watts from the answers' energy).")
    String catalogEntry;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the whole result as JSON to FILE.")
    Path jsonFile;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write an HTML report (with a latency-throughput chart for sweeps).")
    Path htmlFile;

    @Option(names = "--agent", description = "Replay agent traffic instead: each task is one workflow of --steps"
            + " tool-calling chat requests with growing context, --concurrency tasks at a time, beside a probe of"
            + " interactive questions (see docs/agents.md).")
    boolean agent;

    @Option(names = "--tasks", paramLabel = "T", defaultValue = "20", description = "With --agent: agent runs per side (default: ${DEFAULT-VALUE}).")
    int tasks;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "4",
            description = "With --agent: requests per run, the last answering (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--result-words", paramLabel = "W", defaultValue = "64",
            description = "With --agent: words of each tool result added to the context (default: ${DEFAULT-VALUE}).")
    int resultWords;

    @Option(names = "--interactive-rate", paramLabel = "QPS", defaultValue = "2",
            description = "With --agent: interactive probe questions per second, 0 for none (default: ${DEFAULT-VALUE}).")
    double interactiveRate;

    @Option(names = "--interactive-model", paramLabel = "NAME",
            description = "With --agent: what the probe asks for (default: the side's --model or --compare-model).")
    String interactiveModel;

    @Spec
    CommandSpec spec;

    private Map<String, String> headers() {
        Map<String, String> parsed = new java.util.LinkedHashMap<>();
        for (String header : headers) {
            int colon = header.indexOf(':');
            if (colon < 1 || !header.substring(0, colon).strip().matches("[A-Za-z0-9-]+")) {
                throw new UserError("--header '" + header + "' is not NAME:VALUE (e.g. x-mesh-priority:agent)");
            }
            parsed.put(header.substring(0, colon).strip(), header.substring(colon + 1).strip());
        }
        return parsed;
    }

    @Override
    public Integer call() {
        try {
            return run();
        } catch (BenchException e) {
            throw new UserError(e.getMessage());
        }
    }

    private int run() {
        PrintWriter out = spec.commandLine().getOut();
        if (agent) {
            return agents(out);
        }
        Operation operation = operation();
        check(operation);
        SyntheticModel synthetic = null;
        if (syntheticModel != null) {
            int slots = concurrency.stream().mapToInt(Integer::intValue).max().orElse(1);
            // the writer's vocabulary is bytes: a synthetic prompt word (with its space marker) is up to
            // a dozen tokens there
            int context = 12 * inputTokens + (outputTokens == null ? 64 : outputTokens) + 64;
            synthetic = SyntheticModel.start(syntheticModel, syntheticType, Math.min(slots, 16), context, syntheticDir,
                    ServeCommand.workerCommand());
            url = synthetic.url();
            model = synthetic.name();
            out.println("synthetic model " + model + " (random weights: its answers are meaningless, its speed is real) at " + url);
        }
        try {
            return measure(out, operation);
        } finally {
            if (synthetic != null) {
                synthetic.close();
            }
        }
    }

    private int measure(PrintWriter out, Operation operation) {
        Integer output = operation == Operation.EMBEDDINGS ? null : outputTokens == null ? Integer.valueOf(64) : outputTokens;
        boolean dryRun = endpoint.equals("route");
        Workload a = audio() ? Workload.audio(audioFile, model)
                : workload(new Workload.Shape(operation, model, inputTokens, output, stream, ignoreEos, dryRun));
        String modelB = compareModel != null ? compareModel : model;
        Workload b = compare == null ? null : audio() ? Workload.audio(audioFile, modelB)
                : workload(new Workload.Shape(operation, modelB, inputTokens, output, stream, ignoreEos, dryRun));
        int connections = concurrency.stream().mapToInt(Integer::intValue).max().orElse(1);
        Duration silence = Duration.ofMillis((long) (timeout * 1000));
        Map<String, String> extra = headers();
        LoadGenerator toA = new LoadGenerator(base(url, "--url"), apiKey, silence, connections, extra);
        LoadGenerator toB = compare == null ? null
                : new LoadGenerator(base(compare, "--compare"), apiKey, silence, connections, extra);
        out.printf(Locale.ROOT, "%s %s, model %s, %s, %s per load point%n", url, a.path(), model,
                stream ? "streaming" : "whole answers", requests != null ? requests + " requests" : duration + " s");
        out.println(Report.header());
        out.flush();
        List<Report.Point> points = new ArrayList<>();
        List<Report.Point> comparePoints = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        try {
            for (LoadGenerator.Load load : loads()) {
                String label = load.rate() == null ? "concurrency " + load.concurrency()
                        : String.format(Locale.ROOT, "rate %.4g", load.rate());
                if (b == null) {
                    Report.Point point = new Report.Point(label, load.concurrency(), load.rate(), Figures.of(toA.run(a, load)));
                    points.add(point);
                    out.println(Report.row(point));
                    if (audio()) {
                        out.println(audioLine(point.figures()));
                    }
                } else {
                    List<LoadGenerator.Run> runsA = new ArrayList<>();
                    List<LoadGenerator.Run> runsB = new ArrayList<>();
                    for (int round = 0; round < rounds; round++) {
                        runsA.add(toA.run(a, load));
                        runsB.add(toB.run(b, load));
                    }
                    Report.Point pointA = new Report.Point(label + " A", load.concurrency(), load.rate(), pooled(runsA));
                    Report.Point pointB = new Report.Point(label + " B", load.concurrency(), load.rate(), pooled(runsB));
                    points.add(pointA);
                    comparePoints.add(pointB);
                    out.println(Report.row(pointA));
                    out.println(Report.row(pointB));
                    out.println(ratioLine(pointA.figures(), pointB.figures()));
                }
                out.flush();
                selfCheck(points.getLast(), warnings);
            }
        } finally {
            toA.close();
            if (toB != null) {
                toB.close();
            }
        }
        warnings.forEach(w -> out.println("note: " + w));
        if (catalogEntry != null) {
            out.println("catalog entry for mesh plan (paste under deployments:):");
            out.print(io.micromesh.cli.bench.CatalogEntry.yaml(catalogEntry, model, points,
                    "mesh " + String.join(" ", spec.commandLine().getParseResult().originalArgs())));
        }
        ObjectNode result = result(operation, points, comparePoints, warnings);
        write(result, points, comparePoints, warnings);
        out.println(Json.string(result));
        out.flush();
        return 0;
    }

    /** {@code --agent}: the model (A) and, with --compare or --compare-model, the other (B), rounds alternating. */
    private int agents(PrintWriter out) {
        if (url == null || model == null) {
            throw new BenchException("--agent needs --url and --model (a model or route that can call tools)");
        }
        if (syntheticModel != null || prompts != null || audioFile != null || stream || rate != null) {
            throw new BenchException("--agent makes its own requests; leave out --synthetic-model, --prompts, --audio,"
                    + " --stream and --rate");
        }
        if (rounds < 1) {
            throw new BenchException("--rounds must be at least 1, got " + rounds);
        }
        int agentsAtOnce = concurrency.getFirst();
        int maxTokens = outputTokens == null ? 64 : outputTokens;
        Duration silence = Duration.ofMillis((long) (timeout * 1000));
        AgentBench.Shape shapeA = new AgentBench.Shape(model, interactiveModel != null ? interactiveModel : model, tasks,
                agentsAtOnce, steps, resultWords, maxTokens, interactiveRate, seed);
        boolean compared = compare != null || compareModel != null;
        String modelB = compareModel != null ? compareModel : model;
        AgentBench.Shape shapeB = !compared ? null : new AgentBench.Shape(modelB,
                interactiveModel != null ? interactiveModel : modelB, tasks, agentsAtOnce, steps, resultWords, maxTokens, interactiveRate, seed);
        AgentBench toA = new AgentBench(base(url, "--url"), apiKey, silence, headers());
        AgentBench toB = !compared ? null : new AgentBench(base(compare != null ? compare : url, "--compare"), apiKey, silence,
                headers());
        out.printf(Locale.ROOT, "agent traffic: %d tasks of %d steps, %d at a time, %d-word tool results, probe %.2g/s%n",
                tasks, steps, agentsAtOnce, resultWords, interactiveRate);
        out.flush();
        PrintWriter err = spec.commandLine().getErr();
        ObjectNode result = Json.object().put("mode", "agent").put("url", url).put("tasks", tasks).put("steps", steps)
                .put("agents", agentsAtOnce).put("result_words", resultWords).put("interactive_rate", interactiveRate);
        var roundsA = result.putArray("a");
        var roundsB = result.putArray("b");
        String stamp = Long.toString(System.currentTimeMillis(), 36);
        for (int round = 0; round < rounds; round++) {
            AgentBench.Result a = agentRun(toA, shapeA, "bench-" + stamp + "-a" + round, err);
            out.println(a.line("A " + shapeA.model() + " round " + (round + 1)));
            roundsA.add(a.toJson().put("model", shapeA.model()));
            if (toB != null) {
                AgentBench.Result b = agentRun(toB, shapeB, "bench-" + stamp + "-b" + round, err);
                out.println(b.line("B " + shapeB.model() + " round " + (round + 1)));
                roundsB.add(b.toJson().put("model", shapeB.model()));
                out.printf(Locale.ROOT, "  B/A: tasks_per_s %.3f, cost per task %s, energy per task %s, interactive p99 %.3f%n",
                        b.tasksPerS() / a.tasksPerS(), ratio(b.costUsdPerTask(), a.costUsdPerTask()),
                        ratio(b.energyWhPerTask(), a.energyWhPerTask()), b.interactive().p99() / Math.max(1e-9, a.interactive().p99()));
            }
            out.flush();
        }
        try {
            if (jsonFile != null) {
                Files.writeString(jsonFile, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(result) + "\n");
            }
        } catch (IOException e) {
            throw new BenchException("cannot write the report: " + e.getMessage());
        }
        out.println(Json.string(result));
        out.flush();
        return 0;
    }

    private AgentBench.Result agentRun(AgentBench bench, AgentBench.Shape shape, String runId, PrintWriter err) {
        var reporter = io.micromesh.cli.pull.ProgressReporter.forConsole(err, "agents " + shape.model(),
                io.micromesh.cli.pull.ProgressReporter.Unit.ITEMS, java.time.Clock.systemUTC());
        AgentBench.Result result = bench.run(shape, runId, done -> reporter.progress(done, shape.tasks()));
        reporter.finished(result.tasks() + result.failedTasks(), shape.tasks());
        return result;
    }

    private static String ratio(double b, double a) {
        return a > 0 ? String.format(Locale.ROOT, "%.3f", b / a) : "n/a";
    }

    /** The text operation loaded; null for audio, which is none of them. */
    private Operation operation() {
        return switch (endpoint) {
            case "chat", "route" -> Operation.CHAT_COMPLETIONS;
            case "completions" -> Operation.COMPLETIONS;
            case "embeddings" -> Operation.EMBEDDINGS;
            case "audio" -> null;
            default -> throw new BenchException("--endpoint must be chat, completions, embeddings, audio or route, got '"
                    + endpoint + "'");
        };
    }

    private boolean audio() {
        return endpoint.equals("audio");
    }

    /** What a transcription load point did: audio transcribed per second of the run, and the engines' real-time factor. */
    private static String audioLine(Figures f) {
        return String.format(Locale.ROOT, "  audio: %.2f seconds of audio per second (all requests in flight together),"
                + " engine real-time factor %.4f (processing time / audio time, per request)", f.audioSecondsPerS(),
                f.realTimeFactor());
    }

    private void check(Operation operation) {
        if (syntheticModel == null && (url == null || model == null)) {
            throw new BenchException("give --url and --model (or --synthetic-model SHAPE to benchmark a model started here)");
        }
        if (syntheticModel != null && url != null) {
            throw new BenchException("--synthetic-model starts its own engine worker; leave out --url");
        }
        if (rate != null && concurrency.size() > 1) {
            throw new BenchException("sweep either --rate or --concurrency, not both");
        }
        if (requests != null && duration != null) {
            throw new BenchException("give --requests or --duration, not both");
        }
        if (audio() && audioFile == null) {
            throw new BenchException("--endpoint audio needs --audio FILE.wav: the recording to transcribe");
        }
        if (!audio() && audioFile != null) {
            throw new BenchException("--audio is for --endpoint audio");
        }
        if (audio() && (syntheticModel != null || prompts != null)) {
            throw new BenchException("--endpoint audio sends --audio; --synthetic-model and --prompts are for text endpoints");
        }
        if (stream && (operation == Operation.EMBEDDINGS || audio() || endpoint.equals("route"))) {
            throw new BenchException("--stream is for chat and completions; " + endpoint + " is answered whole");
        }
        if (inputTokens < 1) {
            throw new BenchException("--input-tokens must be at least 1, got " + inputTokens);
        }
        if (outputTokens != null && outputTokens < 1) {
            throw new BenchException("--output-tokens must be at least 1, got " + outputTokens);
        }
        if (rounds < 1) {
            throw new BenchException("--rounds must be at least 1, got " + rounds);
        }
    }

    private Workload workload(Workload.Shape shape) {
        return prompts != null ? Workload.fromFile(prompts, shape) : Workload.synthetic(shape, 256, seed);
    }

    private static URI base(String value, String option) {
        try {
            URI uri = URI.create(value.replaceAll("/+$", ""));
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new BenchException(option + " '" + value + "' is not an http(s) URL such as http://127.0.0.1:8080/v1");
        }
    }

    private List<LoadGenerator.Load> loads() {
        Integer count = requests == null && duration == null ? Integer.valueOf(100) : requests;
        Duration time = duration == null ? null : Duration.ofMillis((long) (duration * 1000));
        List<LoadGenerator.Load> loads = new ArrayList<>();
        if (rate != null) {
            for (double qps : rate) {
                loads.add(new LoadGenerator.Load(concurrency.getFirst(), qps, count, time, warmup, seed));
            }
        } else {
            for (int n : concurrency) {
                loads.add(new LoadGenerator.Load(n, null, count, time, warmup, seed));
            }
        }
        return loads;
    }

    /** The figures of several runs of one load point, as if they were one run. */
    private static Figures pooled(List<LoadGenerator.Run> runs) {
        List<io.micromesh.cli.bench.Sample> samples = new ArrayList<>();
        double seconds = 0;
        for (LoadGenerator.Run run : runs) {
            samples.addAll(run.samples());
            seconds += run.seconds();
        }
        return Figures.of(new LoadGenerator.Run(samples, seconds, runs.getFirst().load()));
    }

    private static final List<String> RATIO_KEYS = List.of("requests_per_s", "output_tokens_per_s", "p50_ms", "p99_ms",
            "ttft_p50_ms", "itl_p50_ms", "tpot_p50_ms", "audio_seconds_per_s", "real_time_factor");

    private static String ratioLine(Figures a, Figures b) {
        ObjectNode ja = a.toJson();
        ObjectNode jb = b.toJson();
        StringBuilder line = new StringBuilder("  B/A:");
        for (String key : RATIO_KEYS) {
            double x = ja.path(key).asDouble();
            if (x > 0) {
                line.append(String.format(Locale.ROOT, " %s %.3f", key, jb.path(key).asDouble() / x));
            }
        }
        return line.toString();
    }

    /** The generator must not be what limits a run: say so when a run fell short of what was asked. */
    private static void selfCheck(Report.Point point, List<String> warnings) {
        Figures f = point.figures();
        if (point.rate() != null && f.requestsPerS() < 0.9 * point.rate()) {
            warnings.add(String.format(Locale.ROOT, "%s: achieved %.2f of the asked %.4g requests/s; the endpoint or"
                    + " --concurrency %d is the limit (latency includes %.1f ms p99 waiting for a free worker)",
                    point.label(), f.requestsPerS(), point.rate(), point.concurrency(), f.queue().p99()));
        }
        if (f.queue().p99() > Math.max(50, 10 * f.e2e().p50())) {
            warnings.add(String.format(Locale.ROOT, "%s: 1%% of requests waited over %.0f ms for a free worker (p50"
                    + " latency %.1f ms): the endpoint stalled, or this load generator was cold (a fresh JVM needs"
                    + " --warmup before a fast rate)", point.label(), f.queue().p99(), f.e2e().p50()));
        }
        if (f.errors() > 0) {
            warnings.add(point.label() + ": " + f.errors() + " of " + f.requests() + " requests failed: " + f.errorsByKind()
                    + "; first of each: " + f.firstErrors());
        }
    }

    private ObjectNode result(Operation operation, List<Report.Point> points, List<Report.Point> comparePoints,
                              List<String> warnings) {
        Report.Point last = points.getLast();
        ObjectNode result = last.figures().toJson();
        result.put("endpoint", endpoint).put("model", model).put("url", url).put("stream", stream)
                .put("concurrency", last.concurrency());
        if (last.rate() != null) {
            result.put("rate", last.rate());
        }
        if (points.size() > 1) {
            var list = result.putArray("points");
            for (Report.Point point : points) {
                ObjectNode entry = point.figures().toJson().put("concurrency", point.concurrency());
                if (point.rate() != null) {
                    entry.put("rate", point.rate());
                }
                list.add(entry);
            }
        }
        if (!comparePoints.isEmpty()) {
            ObjectNode other = comparePoints.getLast().figures().toJson();
            ObjectNode compared = result.putObject("compare");
            compared.put("url", compare).set("figures", other);
            ObjectNode ratio = compared.putObject("ratio");
            for (String key : RATIO_KEYS) {
                double x = result.path(key).asDouble();
                if (x > 0) {
                    ratio.put(key, Figures.round(other.path(key).asDouble() / x));
                }
            }
        }
        var notes = result.putArray("notes");
        warnings.forEach(notes::add);
        if (syntheticModel != null) {
            notes.add("synthetic model " + syntheticModel + ": random weights, answers meaningless, speed real");
        }
        return result;
    }

    private void write(ObjectNode result, List<Report.Point> points, List<Report.Point> comparePoints, List<String> warnings) {
        try {
            if (jsonFile != null) {
                Files.writeString(jsonFile, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(result) + "\n");
            }
            if (htmlFile != null) {
                List<String> notes = new ArrayList<>(List.of(url + " " + (audio() ? "/audio/transcriptions"
                        : endpoint.equals("route") ? "/route" : operation().path()) + ", model " + model
                        + (stream ? ", streaming" : ", whole answers") + (compare == null ? "" : "; B: " + compare)));
                notes.addAll(warnings);
                List<Report.Point> all = new ArrayList<>(points);
                all.addAll(comparePoints);
                Files.writeString(htmlFile, Report.html("mesh bench", notes, comparePoints.isEmpty() ? points : all));
            }
        } catch (IOException e) {
            throw new BenchException("cannot write the report: " + e.getMessage());
        }
    }
}
