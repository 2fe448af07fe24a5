package io.micromesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.cli.batch.BatchReport;
import io.micromesh.cli.batch.BatchTask;
import io.micromesh.cli.batch.GroupWriter;
import io.micromesh.core.batch.Journal;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mesh batch run}: runs the requests of an OpenAI batch file (lines of {@code custom_id},
 * {@code method}, {@code url}, {@code body}) against an OpenAI-compatible URL in the {@code batch}
 * lane, durably: every result is journaled (SQLite, next to the output) before it counts, so a run
 * killed at any moment and started again with {@code --resume} sends only the items not journaled
 * (those in flight at the kill may be sent twice) and writes exactly one output line per input line.
 * The output is written when the job completes, in input order, atomically (a temporary file
 * renamed), so it never holds a partial or duplicated line.
 */
@Command(name = "run",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Run an OpenAI batch file durably: one output line per input line, exactly once, resumable after a kill.",
                "The journal is OUTPUT.journal (SQLite); the output is written in input order when the job completes."})
final class BatchRunCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "INPUT.jsonl", description = "OpenAI batch lines: custom_id, method, url, body.")
    Path input;

    @Option(names = "--out", paramLabel = "OUTPUT.jsonl", required = true, description = "Where the results go.")
    Path out;

    @Option(names = "--url", paramLabel = "URL",
            description = "Base URL of a running gateway or any OpenAI-compatible server, ending in /v1 (default: start"
                    + " the portfolio of --config in this process).")
    String url;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "config/mesh.yaml",
            description = "Without --url: the configuration whose portfolio runs in this process (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--task", paramLabel = "FILE",
            description = "A task file (YAML): INPUT then holds plain JSON records with an 'id', rendered into chat"
                    + " requests by the task's prompt template; output lines hold each record's 'output'.")
    Path taskFile;

    @Option(names = "--resume", description = "Continue the job of an existing journal (after a kill or a stop).")
    boolean resume;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "64",
            description = "Requests in flight at most (default: ${DEFAULT-VALUE}); the gateway's lanes and limits do the rest.")
    int concurrency;

    @Option(names = "--max-attempts", paramLabel = "N", defaultValue = "5",
            description = "Attempts per item for retriable failures (429, 5xx, connection), with exponential back-off (default: ${DEFAULT-VALUE}).")
    int maxAttempts;

    @Option(names = "--max-cost-usd", paramLabel = "USD",
            description = "Stop sending once the journaled items cost this much (usage.cost_usd); the job stays resumable.")
    Double maxCostUsd;

    @Option(names = "--max-energy-wh", paramLabel = "WH",
            description = "Stop sending once the journaled items used this much energy (usage.energy_wh); the job stays resumable.")
    Double maxEnergyWh;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:MESH_API_KEY}", description = "Bearer token (default: $MESH_API_KEY).")
    String apiKey;

    @Spec
    CommandSpec spec;

    private BatchTask task;

    private static final Set<String> URLS = Set.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings");

    /** One input line, ready to send or already an error. */
    private record Line(int number, String customId, String url, ObjectNode body, String error) {
    }

    @Override
    public Integer call() throws Exception {
        if (concurrency < 1 || maxAttempts < 1) {
            throw new UserError("--concurrency and --max-attempts must be at least 1");
        }
        if (maxCostUsd != null && !(maxCostUsd > 0) || maxEnergyWh != null && !(maxEnergyWh > 0)) {
            throw new UserError("--max-cost-usd and --max-energy-wh must be positive");
        }
        if (url != null && spec.commandLine().getParseResult().hasMatchedOption("--config")) {
            throw new UserError("--config starts a portfolio in this process; with --url the requests go to that server instead:"
                    + " give one of them");
        }
        byte[] content;
        try {
            content = Files.readAllBytes(input);
        } catch (IOException e) {
            throw new UserError("cannot read " + input + ": " + e.getMessage());
        }
        if (taskFile != null) {
            try {
                task = BatchTask.load(taskFile);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
        }
        List<Line> lines = task == null ? parse(new String(content, StandardCharsets.UTF_8))
                : records(new String(content, StandardCharsets.UTF_8));
        Path journalFile = Path.of(out + ".journal");
        Journal journal;
        try {
            journal = Journal.open(journalFile, input.getFileName().toString(), sha256(content),
                    task == null ? null : task.name(), resume, Clock.systemUTC());
        } catch (Journal.JournalException e) {
            throw new UserError(e.getMessage());
        }
        PrintWriter err = spec.commandLine().getErr();
        MeshRuntime runtime = null;
        URI base;
        try {
            if (url == null) {
                runtime = startPortfolio(err);
                base = URI.create("http://127.0.0.1:" + runtime.gateway().port() + "/v1");
            } else {
                base = base(url);
            }
            if (task != null) {
                checkRoute(base);
            }
        } catch (RuntimeException e) {
            journal.close();
            if (runtime != null) {
                runtime.drainAndStop();
            }
            throw e;
        }
        try (journal; HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
             ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Journal.Item> register = new ArrayList<>();
            for (Line line : lines) {
                register.add(new Journal.Item(line.number(), line.customId(), line.error() != null,
                        line.error() == null ? null : Json.string(errorLine(line, 400, "invalid_request", line.error()))));
            }
            journal.register(register);
            Set<Integer> done = new HashSet<>();
            journal.items().stream().filter(Journal.Item::done).forEach(i -> done.add(i.line()));
            List<Line> pending = lines.stream().filter(l -> !done.contains(l.number())).toList();
            Progress progress = new Progress(err, lines.size(), done.size());
            Semaphore inFlight = new Semaphore(concurrency);
            GroupWriter writer = new GroupWriter(journal);
            String stopped = null;
            for (Line line : pending) {
                inFlight.acquire();
                stopped = overBudget(journal);
                if (stopped != null) {
                    inFlight.release();
                    break;
                }
                workers.submit(() -> {
                    try {
                        run(http, base, line, writer);
                        progress.one();
                    } finally {
                        inFlight.release();
                    }
                });
            }
            workers.shutdown();
            while (!workers.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS)) {
                progress.print(false);
            }
            writer.close();
            progress.print(true);
            if (stopped != null) {
                err.println("mesh batch: stopped: " + stopped + "; the job is journaled — run the same command with --resume"
                        + " (and a higher budget) to finish it");
                err.flush();
                return 3;
            }
            List<Journal.Item> journaled = journal.items();
            writeOutput(journaled);
            BatchReport.write(out, journaled);
        } finally {
            if (runtime != null) {
                runtime.drainAndStop();
            }
        }
        spec.commandLine().getOut().println("mesh batch: " + lines.size() + " lines -> " + out);
        return 0;
    }

    /**
     * Starts the portfolio of {@code --config} in this process, its gateway on a loopback port of
     * its own (no API key, no access log), and waits for its engine workers to load.
     */
    private MeshRuntime startPortfolio(PrintWriter err) throws InterruptedException {
        io.micromesh.core.config.MeshConfig mesh;
        try {
            mesh = io.micromesh.core.config.ConfigLoader.withSystemEnvironment().load(config);
        } catch (io.micromesh.core.config.ConfigException e) {
            throw new UserError(e.getMessage());
        }
        io.micromesh.core.config.ServerSettings s = mesh.server();
        mesh = new io.micromesh.core.config.MeshConfig(new io.micromesh.core.config.ServerSettings("127.0.0.1", 0, null,
                s.maxBodyBytes(), s.drainTimeoutMs(), false, s.stateDir(), s.lanes()), mesh.models(), mesh.routes());
        MeshRuntime runtime = MeshRuntime.start(mesh, ServeCommand.workerCommand());
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (!runtime.settled() && System.nanoTime() < deadline) {
            err.println("mesh batch: waiting for the engine workers of " + config + " to load ...");
            err.flush();
            Thread.sleep(2000);
        }
        return runtime;
    }

    /** Why the job must stop sending, or null while it is within its budgets. */
    private String overBudget(Journal journal) {
        if (maxCostUsd == null && maxEnergyWh == null) {
            return null;
        }
        double[] spent = journal.spent();
        if (maxCostUsd != null && spent[0] >= maxCostUsd) {
            return String.format(Locale.ROOT, "the cost reached $%.6f of --max-cost-usd %s", spent[0], maxCostUsd);
        }
        if (maxEnergyWh != null && spent[1] >= maxEnergyWh) {
            return String.format(Locale.ROOT, "the energy reached %.6f Wh of --max-energy-wh %s", spent[1], maxEnergyWh);
        }
        return null;
    }

    /** The lines of a task job: plain JSON records with an {@code id}, rendered by the task. */
    private List<Line> records(String text) {
        return numbered(text, (number, s, ids) -> {
            JsonNode record = parseOrNull(s);
            String id = record != null && (record.path("id").isTextual() || record.path("id").isNumber())
                    ? record.path("id").asText() : null;
            String key = id == null ? "line-" + number : ids.add(id) ? id : id + "#line-" + number;
            String problem = record == null ? "line " + number + " is not a JSON object"
                    : id == null ? "line " + number + " has no id"
                    : !key.equals(id) ? "id '" + id + "' of line " + number + " is used by an earlier line" : null;
            ObjectNode body = null;
            if (problem == null) {
                try {
                    body = task.request(record);
                } catch (IllegalArgumentException e) {
                    problem = "line " + number + ": " + e.getMessage();
                }
            }
            return new Line(number, key, "/v1/chat/completions", body, problem);
        });
    }

    /** Refuses a task whose route (or model) the server does not know, before anything is sent. */
    private void checkRoute(URI base) {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/models")).timeout(Duration.ofSeconds(30));
            if (apiKey != null && !apiKey.isBlank()) {
                request.header("Authorization", "Bearer " + apiKey);
            }
            HttpResponse<String> models = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode list = parseOrNull(models.body());
            List<String> ids = new ArrayList<>();
            if (list != null) {
                list.path("data").forEach(m -> ids.add(m.path("id").asText()));
            }
            if (!ids.contains(task.route())) {
                throw new UserError("task " + task.name() + ": route '" + task.route() + "' is not a model or route of "
                        + base + "; it has " + ids);
            }
        } catch (IOException e) {
            throw new UserError("cannot list the models of " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted");
        }
    }

    private List<Line> parse(String text) {
        return numbered(text, (number, s, ids) -> {
            JsonNode node;
            try {
                node = Json.mapper().readTree(s);
            } catch (IOException e) {
                return new Line(number, "line-" + number, null, null, "line " + number + " is not JSON");
            }
            String id = node.path("custom_id").isTextual() ? node.path("custom_id").asText() : null;
            String key = id == null ? "line-" + number : id;
            String problem = null;
            if (id == null || id.isBlank()) {
                problem = "line " + number + " has no custom_id";
            } else if (!ids.add(id)) {
                problem = "custom_id '" + id + "' of line " + number + " is used by an earlier line";
                key = id + "#line-" + number;
            } else if (!node.path("method").asText("POST").equals("POST")) {
                problem = "line " + number + ": method must be POST";
            } else if (!URLS.contains(node.path("url").asText())) {
                problem = "line " + number + ": url must be one of " + URLS;
            } else if (!node.path("body").isObject()) {
                problem = "line " + number + ": body must be an object";
            }
            return new Line(number, key, node.path("url").asText(), problem == null ? (ObjectNode) node.get("body") : null,
                    problem);
        });
    }

    /** Reads one non-blank input line (its 1-based number and stripped text); {@code ids} holds the ids seen so far. */
    private interface LineReader {
        Line read(int number, String text, Set<String> ids);
    }

    /** The input's non-blank lines, each read by {@code reader}, in order. */
    private List<Line> numbered(String text, LineReader reader) {
        List<Line> lines = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        String[] raw = text.split("\n", -1);
        for (int i = 0; i < raw.length; i++) {
            String s = raw[i].strip();
            if (!s.isEmpty()) {
                lines.add(reader.read(i + 1, s, ids));
            }
        }
        if (lines.isEmpty()) {
            throw new UserError(input + " has no lines");
        }
        return lines;
    }

    /** Sends one item until it succeeds, fails for good, or runs out of attempts; journals the outcome. */
    private void run(HttpClient http, URI base, Line line, GroupWriter journal) {
        String result = null;
        int attempt = 0;
        double cost = 0;
        double energy = 0;
        while (result == null) {
            attempt++;
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + line.url().substring("/v1".length())))
                    .timeout(Duration.ofMinutes(10))
                    .header("Content-Type", "application/json")
                    .header("x-mesh-priority", "batch")
                    .header("x-mesh-item-id", line.customId())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(line.body())));
            if (apiKey != null && !apiKey.isBlank()) {
                request.header("Authorization", "Bearer " + apiKey);
            }
            int status;
            String body;
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                status = response.statusCode();
                body = response.body();
            } catch (IOException e) {
                status = -1;
                body = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;  // not journaled: the item stays pending for --resume
            }
            boolean retriable = status == -1 || status == 429 || status >= 500;
            if (status == 200) {
                JsonNode answer = parseOrNull(body);
                ObjectNode line1 = Json.object().put("id", "batch_req_" + line.number()).put("custom_id", line.customId());
                ObjectNode response = line1.putObject("response").put("status_code", 200);
                response.set("body", answer == null ? Json.mapper().getNodeFactory().textNode(body) : answer);
                line1.putNull("error");
                if (answer != null) {
                    cost = answer.path("usage").path("cost_usd").asDouble(0);
                    energy = answer.path("usage").path("energy_wh").asDouble(0);
                }
                result = Json.string(task != null && answer != null ? task.output(line.customId(), answer) : line1);
            } else if (!retriable || attempt >= maxAttempts) {
                JsonNode error = parseOrNull(body);
                String message = error != null && error.path("error").path("message").isTextual()
                        ? error.path("error").path("message").asText() : body;
                result = Json.string(errorLine(line, status, status == -1 ? "connection_failed" : "http_" + status,
                        message + (retriable ? " (after " + attempt + " attempts)" : "")));
            } else {
                sleep(backoff(attempt));
            }
        }
        journal.add(new Journal.Completion(line.number(), result, attempt, cost, energy));
    }

    /** Exponential back-off with full jitter: up to 0.5 s, 1 s, 2 s ... capped at 30 s. */
    private static Duration backoff(int attempt) {
        long cap = Math.min(30_000, 500L << Math.min(attempt - 1, 16));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ObjectNode errorLine(Line line, int status, String code, String message) {
        if (task != null) {
            ObjectNode o = Json.object().put("id", line.customId()).putNull("output");
            o.putObject("error").put("code", code).put("message", message).put("status_code", status);
            return o;
        }
        ObjectNode o = Json.object().put("id", "batch_req_" + line.number()).put("custom_id", line.customId());
        if (status > 0) {
            o.putObject("response").put("status_code", status);
        } else {
            o.putNull("response");
        }
        o.putObject("error").put("code", code).put("message", message);
        return o;
    }

    private static JsonNode parseOrNull(String body) {
        try {
            JsonNode node = Json.mapper().readTree(body);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Writes every journaled result in input order to a temporary file, then renames it over the output. */
    private void writeOutput(List<Journal.Item> items) {
        long missing = items.stream().filter(i -> !i.done()).count();
        if (missing > 0) {
            throw new UserError(missing + " items are not done (interrupted); run again with --resume");
        }
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            try (var writer = Files.newBufferedWriter(tmp)) {
                for (Journal.Item item : items) {
                    writer.write(item.result());
                    writer.write('\n');
                }
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    private static URI base(String url) {
        String trimmed = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        if (!trimmed.matches("https?://[^/]+(/.*)?/v1")) {
            throw new UserError("--url '" + url + "' is not an http(s) base URL ending in /v1");
        }
        return URI.create(trimmed);
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    /** A plain progress line every two seconds: done/total, items/s, ETA. */
    private static final class Progress {
        private final PrintWriter err;
        private final int total;
        private final int already;
        private final AtomicLong done = new AtomicLong();
        private final long start = System.nanoTime();

        Progress(PrintWriter err, int total, int already) {
            this.err = err;
            this.total = total;
            this.already = already;
        }

        void one() {
            done.incrementAndGet();
        }

        void print(boolean last) {
            double seconds = (System.nanoTime() - start) / 1e9;
            long now = done.get();
            double rate = now / Math.max(seconds, 1e-3);
            long left = total - already - now;
            err.printf(Locale.ROOT, "mesh batch: %d/%d done (%d from the journal), %.1f items/s, ETA %s%s%n",
                    already + now, total, already, rate, rate > 0 ? Math.round(left / rate) + " s" : "-", last ? ", finished" : "");
            err.flush();
        }
    }
}
