package io.micromesh.cli;

import io.micromesh.cli.batch.BatchApiClient;
import io.micromesh.cli.batch.BatchProgress;
import io.micromesh.cli.pull.ProgressReporter;
import io.micromesh.core.spi.TextEncoder;
import io.micromesh.engines.onnx.EncoderBackend;
import io.micromesh.jobs.BatchJob;
import io.micromesh.jobs.BatchReport;
import io.micromesh.jobs.HttpItemSender;
import io.micromesh.jobs.InputLines;
import io.micromesh.jobs.ItemSender;
import io.micromesh.jobs.JobItem;
import io.micromesh.jobs.task.BatchTask;
import io.micromesh.jobs.task.Steps;
import io.micromesh.server.MeshRuntime;
import io.micromesh.store.Journal;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
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

    @Option(names = "--task", paramLabel = "FILE|NAME",
            description = "A task file (YAML), or the name of a built-in task (summarize): INPUT then holds plain JSON"
                    + " records with an 'id'; the task's micro-model steps run on each, then its prompt template makes a chat"
                    + " request; output lines hold each record's 'output'.")
    String taskName;

    @Option(names = "--route", paramLabel = "NAME",
            description = "With --task: the route or model that answers the task's prompt, instead of the task's own.")
    String route;

    @Option(names = "--resume", description = "Continue the job of an existing journal (after a kill or a stop); with"
            + " --via-batch-api, follow the batch already submitted (resuming it if its key's budget stopped it).")
    boolean resume;

    @Option(names = "--kafka", paramLabel = "HOST:PORT",
            description = "Publish the items to a Kafka cluster's items topic (once) and collect their results, which"
                    + " 'mesh worker' processes produce; --config only gives the kafka: section then.")
    String kafka;

    @Option(names = "--via-batch-api", description = "With --url: submit INPUT to the gateway's Batch API (/v1/files,"
            + " /v1/batches) and let its journaled engine run it, instead of sending the items one by one; this command"
            + " follows the batch and writes OUTPUT from its output and error files.")
    boolean viaBatchApi;

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

    @Override
    public Integer call() throws Exception {
        BatchJob.Settings settings;
        try {
            settings = new BatchJob.Settings(concurrency, maxAttempts, maxCostUsd, maxEnergyWh,
                    input.toAbsolutePath().getParent());
        } catch (IllegalArgumentException e) {
            throw new UserError("--concurrency and --max-attempts must be at least 1; --max-cost-usd and --max-energy-wh"
                    + " must be positive");
        }
        if (url != null && spec.commandLine().getParseResult().hasMatchedOption("--config")) {
            throw new UserError("--config starts a portfolio in this process; with --url the requests go to that server instead:"
                    + " give one of them");
        }
        URI base = url == null ? null : base(url);
        if (kafka != null && (url != null || maxCostUsd != null || maxEnergyWh != null)) {
            throw new UserError(url != null ? "--kafka hands the items to workers; --url sends them to a server: give one of them"
                    : "over Kafka the workers' own budgets govern; drop --max-cost-usd and --max-energy-wh");
        }
        if (kafka != null && !kafka.matches("[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*")) {
            throw new UserError("--kafka '" + kafka + "' is not HOST:PORT (or a comma-separated list of them)");
        }
        if (viaBatchApi && (base == null || taskName != null || maxCostUsd != null || maxEnergyWh != null)) {
            throw new UserError(base == null ? "--via-batch-api submits to a gateway's Batch API: give --url"
                    : taskName != null ? "--via-batch-api runs OpenAI batch files; a --task runs its steps here: drop one of them"
                    : "with --via-batch-api the batch is governed by its key's budget on the gateway; drop --max-cost-usd and"
                    + " --max-energy-wh");
        }
        byte[] content;
        try {
            content = Files.readAllBytes(input);
        } catch (IOException e) {
            throw new UserError("cannot read " + input + ": " + e.getMessage());
        }
        BatchTask task = null;
        List<JobItem> items;
        try {
            if (taskName != null) {
                task = task(taskName);
                if (route != null) {
                    task = task.withRoute(route);
                }
            } else if (route != null) {
                throw new UserError("--route names the route of a task's prompt: give --task too");
            }
            String text = new String(content, StandardCharsets.UTF_8);
            items = task == null ? InputLines.batchFile(text) : InputLines.records(text);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage().startsWith("the input") ? input + ": " + e.getMessage() : e.getMessage());
        }
        if (viaBatchApi) {
            return viaBatchApi(base, items);
        }
        Journal journal;
        try {
            journal = Journal.open(Path.of(out + ".journal"), input.getFileName().toString(), sha256(content),
                    task == null ? null : task.name(), resume, Clock.systemUTC());
        } catch (Journal.JournalException e) {
            throw new UserError(e.getMessage());
        }
        if (kafka != null) {
            try (journal) {
                return overKafka(journal, items, task == null ? null
                        : new io.micromesh.jobs.kafka.Messages.TaskSpec(io.micromesh.jobs.task.BatchTask.text(taskName), route));
            }
        }
        PrintWriter err = spec.commandLine().getErr();
        MeshRuntime runtime = null;
        ItemSender sender = null;
        try (journal) {
            String where;
            if (base == null) {
                runtime = LocalPortfolio.start(LocalPortfolio.load(config), config, err, "mesh batch");
                sender = runtime.itemSender("local");
                where = config.toString();
            } else {
                sender = new HttpItemSender(base, apiKey, concurrency, Duration.ofMinutes(10));
                where = base.toString();
            }
            BatchTask.Prepared prepared = null;
            if (task != null && !servesRoute(task, sender, where)) {
                err.println("mesh batch: " + where + " has no route or model '" + task.route().orElseThrow() + "': running the"
                        + " task's micro-model steps only; the fields only a model produces are marked not produced");
                err.flush();
                task = task.withoutModel();
            }
            if (task != null) {
                prepared = task.prepare(new Steps.Resources(encoder(runtime)));
            }
            BatchProgress progress = new BatchProgress(ProgressReporter.forConsole(err, "mesh batch", ProgressReporter.Unit.ITEMS,
                    Clock.systemUTC()), Clock.systemUTC());
            BatchJob.Outcome outcome = new BatchJob(journal, sender, task, prepared, settings, progress).run(items, out);
            switch (outcome) {
                case BatchJob.Outcome.Stopped stopped -> {
                    err.println("mesh batch: stopped: " + stopped.reason() + "; the job is journaled — run the same command"
                            + " with --resume (and a higher budget) to finish it");
                    err.flush();
                    return 3;
                }
                case BatchJob.Outcome.Interrupted interrupted ->
                    throw new UserError("interrupted; run the same command with --resume to finish the job");
                case BatchJob.Outcome.Completed completed -> BatchReport.write(out, completed.items());
            }
        } finally {
            if (sender != null) {
                sender.close();
            }
            if (runtime != null) {
                runtime.drainAndStop();
            }
        }
        spec.commandLine().getOut().println("mesh batch: " + items.size() + " lines -> " + out);
        return 0;
    }

    /** Publishes the items to Kafka (once) and collects the workers' results into the output. */
    private int overKafka(Journal journal, List<JobItem> items, io.micromesh.jobs.kafka.Messages.TaskSpec task)
            throws InterruptedException {
        io.micromesh.core.config.KafkaSettings settings = io.micromesh.core.config.KafkaSettings.defaults();
        if (spec.commandLine().getParseResult().hasMatchedOption("--config")) {
            settings = LocalPortfolio.load(config).kafka();
        }
        PrintWriter err = spec.commandLine().getErr();
        BatchProgress progress = new BatchProgress(ProgressReporter.forConsole(err, "mesh batch", ProgressReporter.Unit.ITEMS,
                Clock.systemUTC()), Clock.systemUTC());
        io.micromesh.jobs.kafka.KafkaJob job = new io.micromesh.jobs.kafka.KafkaJob(
                new io.micromesh.jobs.kafka.Topics(settings, kafka), journal, progress, task);
        err.println("mesh batch: job " + job.id() + " over Kafka at " + kafka + " (topic " + settings.itemsTopic()
                + "); start workers with: mesh worker --kafka " + kafka + " --config FILE");
        err.flush();
        io.micromesh.jobs.kafka.KafkaJob.Outcome outcome;
        try {
            outcome = job.run(items, out);
        } catch (IllegalStateException | org.apache.kafka.common.KafkaException e) {
            throw new UserError("Kafka at " + kafka + ": " + e.getMessage() + "; the job is journaled — run the same command"
                    + " with --resume to go on");
        }
        if (outcome instanceof io.micromesh.jobs.kafka.KafkaJob.Outcome.Completed completed) {
            BatchReport.write(out, completed.items());
            spec.commandLine().getOut().println("mesh batch: " + items.size() + " lines -> " + out);
            return 0;
        }
        throw new UserError("stopped; run the same command with --resume to collect the rest (nothing is published again)");
    }

    /** Runs the input on the gateway's Batch API and writes the output from the batch's files. */
    private int viaBatchApi(URI base, List<JobItem> items) throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        BatchProgress progress = new BatchProgress(ProgressReporter.forConsole(err, "mesh batch", ProgressReporter.Unit.ITEMS,
                Clock.systemUTC()), Clock.systemUTC());
        BatchApiClient.Ended ended;
        try {
            ended = new BatchApiClient(base, apiKey, Duration.ofSeconds(1)).run(input, items, out, resume, progress);
        } catch (BatchApiClient.ApiFailure e) {
            throw new UserError(e.getMessage());
        }
        switch (ended) {
            case BatchApiClient.Ended.Failed failed -> {
                failed.errors().stream().limit(20).forEach(e -> err.println("mesh batch: " + e));
                if (failed.resumable()) {
                    err.println("mesh batch: the key's budget stopped the batch; run the same command with --resume once the"
                            + " budget allows, to go on");
                    err.flush();
                    return 3;
                }
                err.flush();
                throw new UserError("the gateway refused the batch (" + failed.errors().size() + " errors above); fix the"
                        + " input, delete " + BatchApiClient.sidecar(out) + " and run again");
            }
            case BatchApiClient.Ended.Written written -> {
                BatchReport.write(out, written.items());
                if (!written.status().equals("completed")) {
                    err.println("mesh batch: the batch was " + written.status() + "; the items it did not run are error lines");
                    err.flush();
                }
            }
        }
        spec.commandLine().getOut().println("mesh batch: " + items.size() + " lines -> " + out);
        return 0;
    }

    /** A task file, else a built-in task of that name. */
    private static BatchTask task(String name) {
        Path file = Path.of(name);
        if (Files.exists(file)) {
            return BatchTask.load(file);
        }
        if (BatchTask.BUILT_IN.contains(name)) {
            return BatchTask.builtIn(name);
        }
        throw new UserError("--task " + name + ": no such file, and no built-in task of that name; the built-in tasks are "
                + BatchTask.BUILT_IN);
    }

    /**
     * The encoder the task's steps use: the portfolio's in-process encoder when it has one, else the
     * bundled all-MiniLM-L6-v2, loaded only if a step asks for it.
     */
    static java.util.function.Supplier<TextEncoder> encoder(MeshRuntime runtime) {
        Optional<TextEncoder> served = runtime == null ? Optional.empty() : runtime.encoder();
        AtomicReference<TextEncoder> loaded = new AtomicReference<>();
        return () -> served.orElseGet(() -> loaded.updateAndGet(e -> e != null ? e : EncoderBackend.load("minilm")));
    }

    /**
     * Whether the server has the task's route; refuses a task whose route (or model) the server does
     * not know, before anything is sent, unless the task may run without its model.
     */
    private static boolean servesRoute(BatchTask task, ItemSender sender, String base) {
        if (task.route().isEmpty()) {
            return true;
        }
        List<String> ids;
        try {
            ids = sender.models();
        } catch (IOException e) {
            throw new UserError("cannot list the models of " + base + ": " + e.getMessage());
        }
        if (ids.contains(task.route().get())) {
            return true;
        }
        if (task.modelOptional()) {
            return false;
        }
        throw new UserError("task " + task.name() + ": route '" + task.route().get() + "' is not a model or route of "
                + base + "; it has " + ids + (task.route().get().equals("auto") ? " (name one with --route)" : ""));
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
}
