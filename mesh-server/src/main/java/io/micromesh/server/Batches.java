package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Grant;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.config.ServerSettings;
import io.micromesh.core.dispatch.Caller;
import io.micromesh.core.dispatch.Dispatcher;
import io.micromesh.jobs.BatchJob;
import io.micromesh.jobs.InputLines;
import io.micromesh.jobs.JobItem;
import io.micromesh.jobs.JobProgress;
import io.micromesh.store.BatchStore;
import io.micromesh.store.BatchStore.Batch;
import io.micromesh.store.BatchStore.Status;
import io.micromesh.store.FileStore;
import io.micromesh.store.Journal;
import io.micromesh.store.KeyStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the batches of the Batch API on the journaled job engine of {@code mesh batch run}, in this
 * process, through the {@link Dispatcher} in the {@code batch} lane, charged to the key that created
 * them. A batch is validated, then each of its items is journaled (SQLite, in the state folder's
 * {@code batches/}) before it counts; when all are, its output and error files are written and it
 * completes. A gateway killed at any moment and started again resumes every batch it was running:
 * items journaled before the kill are not sent again, and each {@code custom_id} gets exactly one
 * line, in the output file or the error file. Each batch has its own bound on requests in flight
 * ({@code server.batches.concurrency}) and they queue together in the batch lane, so several
 * batches share it fairly. A key's budget that runs out stops a batch resumably (status
 * {@code failed}, error {@code budget_exceeded}; {@code POST /v1/batches/{id}/resume} goes on).
 * Thread-safe.
 */
final class Batches implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Batches.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The error code of a batch stopped by its key's budget: the one failure a batch resumes from. */
    static final String BUDGET_EXCEEDED = "budget_exceeded";
    /** How often the count of a running batch is written for its readers, at most. */
    private static final Duration COUNT_EVERY = Duration.ofMillis(500);

    /** Why a runner was asked to stop. */
    private enum Stop { CANCEL, EXPIRE, SHUTDOWN }

    /** A batch being run in this process. */
    private static final class Runner {
        final AtomicReference<Stop> stop = new AtomicReference<>();
        volatile BatchJob job;
        volatile io.micromesh.jobs.kafka.KafkaJob kafkaJob;

        void stop(Stop why) {
            if (stop.compareAndSet(null, why)) {
                BatchJob running = job;
                if (running != null) {
                    running.stop(why.name().toLowerCase(java.util.Locale.ROOT));
                }
                io.micromesh.jobs.kafka.KafkaJob handed = kafkaJob;
                if (handed != null) {
                    handed.stop();
                }
            }
        }
    }

    private final BatchStore store;
    private final FileStore files;
    private final Optional<KeyStore> keys;
    private final Dispatcher dispatcher;
    private final io.opentelemetry.api.OpenTelemetry telemetry;
    private final ServerSettings.Batches limits;
    private final Path folder;
    private final String node;
    private final Optional<io.micromesh.jobs.kafka.Topics> kafka;
    private final Clock clock;
    private final Map<String, Runner> running = new ConcurrentHashMap<>();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean closed;

    /**
     * @param folder where the batches' journals are kept (the state folder's {@code batches/})
     * @param node   this gateway's name in the store: the batches it runs, and resumes when it starts
     * @param kafka  when present, batches are handed to Kafka workers through these topics instead of run here
     */
    Batches(BatchStore store, FileStore files, Optional<KeyStore> keys, Dispatcher dispatcher,
            io.opentelemetry.api.OpenTelemetry telemetry, ServerSettings.Batches limits, Path folder, String node,
            Optional<io.micromesh.jobs.kafka.Topics> kafka, Clock clock) {
        this.kafka = kafka;
        this.store = store;
        this.files = files;
        this.keys = keys;
        this.dispatcher = dispatcher;
        this.telemetry = telemetry;
        this.limits = limits;
        this.folder = folder;
        this.node = node;
        this.clock = clock;
    }

    /**
     * This gateway's node name, kept in the state folder ({@code node-id}) so that it stays the same
     * across restarts: several gateways sharing a PostgreSQL store each resume their own batches
     * (whose journals and files are on their disk).
     */
    static String nodeOf(Path stateDir) {
        Path file = stateDir.resolve("node-id");
        try {
            if (Files.exists(file)) {
                return Files.readString(file).strip();
            }
            Files.createDirectories(stateDir);
            byte[] random = new byte[8];
            RANDOM.nextBytes(random);
            String id = "node-" + HexFormat.of().formatHex(random);
            Path partial = stateDir.resolve("node-id.part");
            Files.writeString(partial, id + "\n");
            Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the node id in " + file + ": " + e.getMessage(), e);
        }
    }

    /** Resumes every batch this gateway was running when it stopped (or was killed). */
    void resumeUnfinished() {
        for (Batch batch : store.unfinished(node)) {
            LOG.log(System.Logger.Level.INFO, "resuming batch " + batch.id() + " (" + batch.status().wire() + ")");
            launch(batch.id());
        }
        threads.submit(this::watchExpiry);
    }

    /**
     * Records a new batch, {@code validating}, and starts it.
     *
     * @param window how long it may take: past it, it expires
     */
    Batch create(String keyId, FileStore.StoredFile input, String endpoint, String completionWindow, Duration window,
                 String metadata) {
        byte[] random = new byte[12];
        RANDOM.nextBytes(random);
        String id = "batch_" + HexFormat.of().formatHex(random);
        Batch batch = store.create(id, keyId, node, endpoint, input.id(), completionWindow, metadata,
                clock.instant().plus(window));
        launch(id);
        return batch;
    }

    /**
     * Cancels a batch that is validating or running: it goes {@code cancelling}, its requests in
     * flight finish, then it is {@code cancelled}, with the lines done so far in its files.
     *
     * @return whether it was cancellable
     */
    boolean cancel(Batch batch) {
        if (!store.move(batch.id(), EnumSet.of(Status.VALIDATING, Status.IN_PROGRESS), Status.CANCELLING)) {
            return store.get(batch.id()).map(b -> b.status() == Status.CANCELLING).orElse(false);
        }
        Runner runner = running.get(batch.id());
        if (runner != null) {
            runner.stop(Stop.CANCEL);
        } else if (batch.node().equals(node)) {
            launch(batch.id());  // not running here (a resume that has not begun): finish the cancel
        }
        return true;
    }

    /**
     * Resumes a batch its key's budget stopped.
     *
     * @return whether it was such a batch
     */
    boolean resume(Batch batch) {
        if (batch.status() != Status.FAILED || batch.errors() == null || !batch.errors().contains("\"" + BUDGET_EXCEEDED + "\"")
                || !batch.node().equals(node) || !store.resume(batch.id())) {
            return false;
        }
        launch(batch.id());
        return true;
    }

    private void launch(String id) {
        if (closed) {
            return;
        }
        Runner runner = new Runner();
        if (running.putIfAbsent(id, runner) != null) {
            return;  // already running here
        }
        threads.submit(() -> {
            try {
                drive(id, runner);
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.ERROR, "batch " + id + " failed: " + e, e);
                    fail(id, "internal_error", "The batch could not run: " + e.getMessage());
                }
            } finally {
                running.remove(id, runner);
            }
        });
    }

    /** Takes a batch from where it stands to where it ends, or until this gateway stops. */
    private void drive(String id, Runner runner) {
        Batch batch = store.get(id).orElseThrow();
        if (clock.instant().isAfter(batch.expires()) && !batch.status().terminal()) {
            runner.stop(Stop.EXPIRE);
        }
        Optional<FileStore.StoredFile> inputFile = files.get(batch.inputFileId());
        if (inputFile.isEmpty()) {
            fail(id, "input_file_missing", "The input file " + batch.inputFileId() + " was deleted before the batch ran.");
            return;
        }
        String text;
        byte[] content;
        try {
            content = Files.readAllBytes(files.content(inputFile.get()));
            text = new String(content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            fail(id, "input_file_missing", "The input file " + batch.inputFileId() + " cannot be read: " + e.getMessage());
            return;
        }
        if (batch.status() == Status.VALIDATING) {
            if (runner.stop.get() == Stop.EXPIRE) {
                store.move(id, EnumSet.of(Status.VALIDATING), Status.EXPIRED);
                return;
            }
            ArrayNode errors = BatchInputCheck.check(text, batch.endpoint(), served(), limits.maxRequests());
            if (!errors.isEmpty()) {
                store.errors(id, Json.string(errors));
                if (!store.move(id, EnumSet.of(Status.VALIDATING), Status.FAILED)) {
                    store.move(id, EnumSet.of(Status.CANCELLING), Status.CANCELLED);  // cancelled while it was checked
                }
                return;
            }
            store.move(id, EnumSet.of(Status.VALIDATING), Status.IN_PROGRESS);
            batch = store.get(id).orElseThrow();
        }
        Path journalFile = folder.resolve(id + ".journal");
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (Journal journal = Journal.open(journalFile, batch.inputFileId(), sha256(content), null, true, clock)) {
            List<JobItem> items = InputLines.batchFile(text);
            if (batch.status() == Status.IN_PROGRESS) {
                Optional<Status> next = run(batch, items, journal, runner);
                if (next.isEmpty()) {
                    return;  // stopped by the budget, or by this gateway stopping: resumable
                }
                batch = store.get(id).orElseThrow();
            }
            switch (batch.status()) {
                case FINALIZING -> finish(batch, journal, Status.FINALIZING, Status.COMPLETED, null);
                case CANCELLING -> finish(batch, journal, Status.CANCELLING, Status.CANCELLED, "batch_cancelled");
                case IN_PROGRESS -> finish(batch, journal, Status.IN_PROGRESS, Status.EXPIRED, "batch_expired");
                default -> {
                    // another actor ended it
                }
            }
        }
        if (store.get(id).map(b -> b.status().terminal() && b.status() != Status.FAILED).orElse(false)) {
            deleteQuietly(journalFile);
        }
    }

    /**
     * Runs a batch's items not journaled yet.
     *
     * @return the status to finish it in (finalizing when all are done; cancelling or in_progress
     *         — to expire — when stopped so), or empty when it stays as it is, resumable
     */
    private Optional<Status> run(Batch batch, List<JobItem> items, Journal journal, Runner runner) {
        Caller caller = callerOf(batch);
        if (caller == null) {
            fail(batch.id(), "key_revoked", "The key " + batch.keyId() + " that created the batch was revoked.");
            return Optional.empty();
        }
        if (kafka.isPresent()) {
            return handedToKafka(batch, items, journal, runner);
        }
        BatchJob.Settings settings = new BatchJob.Settings(limits.concurrency(), limits.maxAttempts(), null, null, folder);
        BatchJob job;
        try (DispatchSender sender = new DispatchSender(dispatcher, caller, batch.id() + ":", telemetry)) {
            job = new BatchJob(journal, sender, null, null, settings, new Counting(batch.id(), journal));
            runner.job = job;
            if (runner.stop.get() != null) {
                job.stop(runner.stop.get().name());
            }
            BatchJob.Outcome outcome;
            try {
                outcome = job.run(items, null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
            return switch (outcome) {
                case BatchJob.Outcome.Completed completed -> {
                    store.move(batch.id(), EnumSet.of(Status.IN_PROGRESS), Status.FINALIZING);
                    yield Optional.of(Status.FINALIZING);
                }
                case BatchJob.Outcome.Interrupted interrupted -> Optional.empty();
                case BatchJob.Outcome.Stopped stopped -> switch (runner.stop.get()) {
                    case CANCEL -> Optional.of(Status.CANCELLING);
                    case EXPIRE -> Optional.of(Status.IN_PROGRESS);
                    case SHUTDOWN -> Optional.empty();
                    case null -> {
                        counted(batch.id(), journal);
                        store.errors(batch.id(), Json.string(Json.mapper().createArrayNode().add(Json.object()
                                .put("code", BUDGET_EXCEEDED).put("message", stopped.reason() + " The batch stopped with "
                                        + journal.counts().done() + " of " + items.size() + " requests done; raise the budget or"
                                        + " wait for its period to end, then POST /v1/batches/" + batch.id() + "/resume.")
                                .putNull("param").putNull("line"))));
                        store.move(batch.id(), EnumSet.of(Status.IN_PROGRESS), Status.FAILED);
                        yield Optional.empty();
                    }
                };
            };
        }
    }

    /**
     * Hands a batch's items to Kafka workers (published once) and collects their results into its
     * journal; the status it finishes in, as {@link #run} says.
     */
    private Optional<Status> handedToKafka(Batch batch, List<JobItem> items, Journal journal, Runner runner) {
        io.micromesh.jobs.kafka.KafkaJob job = new io.micromesh.jobs.kafka.KafkaJob(kafka.get(), journal,
                new Counting(batch.id(), journal));
        runner.kafkaJob = job;
        if (runner.stop.get() != null) {
            job.stop();
        }
        io.micromesh.jobs.kafka.KafkaJob.Outcome outcome;
        try {
            outcome = job.run(items, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        if (outcome instanceof io.micromesh.jobs.kafka.KafkaJob.Outcome.Completed) {
            store.move(batch.id(), EnumSet.of(Status.IN_PROGRESS), Status.FINALIZING);
            return Optional.of(Status.FINALIZING);
        }
        return switch (runner.stop.get()) {
            case CANCEL -> Optional.of(Status.CANCELLING);
            case EXPIRE -> Optional.of(Status.IN_PROGRESS);
            case SHUTDOWN -> Optional.empty();
            case null -> Optional.empty();
        };
    }

    /**
     * Whom a batch runs for: its key with its grant today, or null when the key was revoked. The batch
     * is the workflow of its requests (without a cap of its own), so that the ledger counts them
     * together: {@code mesh usage --group-by workflow} shows each batch by its id.
     */
    private Caller callerOf(Batch batch) {
        if (keys.isEmpty() || Exchange.seesAll(batch.keyId())) {
            return new Caller(batch.keyId(), batch.id(), Grant.UNLIMITED, Caller.Cap.NONE);
        }
        Optional<KeyStore.ApiKey> key = keys.get().get(batch.keyId());
        if (key.isEmpty() || key.get().revoked().isPresent()) {
            return null;
        }
        return new Caller(batch.keyId(), batch.id(), key.get().grant(), Caller.Cap.NONE);
    }

    /**
     * Writes a batch's output file (its answered lines) and error file (its failed lines and, when it
     * ends early, a line per item not done, with {@code unfinishedCode}), in input order, then moves
     * it from {@code from} to {@code to}. Done twice (a kill in between), it writes the same files
     * under the same ids.
     */
    private void finish(Batch batch, Journal journal, Status from, Status to, String unfinishedCode) {
        List<Journal.Item> items = journal.items();
        Path output = folder.resolve(batch.id() + ".output.part");
        Path errors = folder.resolve(batch.id() + ".errors.part");
        long outputLines = 0;
        long errorLines = 0;
        try (Writer out = Files.newBufferedWriter(output); Writer err = Files.newBufferedWriter(errors)) {
            for (Journal.Item item : items) {
                if (item.done() && !item.failed()) {
                    out.write(item.result());
                    out.write('\n');
                    outputLines++;
                } else if (item.done() || unfinishedCode != null) {
                    err.write(item.done() ? item.result() : unfinished(item, unfinishedCode, to));
                    err.write('\n');
                    errorLines++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the files of batch " + batch.id() + ": " + e.getMessage(), e);
        }
        String outputId = outputLines == 0 ? null
                : files.put(fileId(batch.id(), "output"), batch.keyId(), batch.id() + "_output.jsonl", "batch_output", output).id();
        String errorId = errorLines == 0 ? null
                : files.put(fileId(batch.id(), "error"), batch.keyId(), batch.id() + "_error.jsonl", "batch_output", errors).id();
        deleteQuietly(output);
        deleteQuietly(errors);
        counted(batch.id(), journal);
        store.files(batch.id(), outputId, errorId);
        store.move(batch.id(), EnumSet.of(from), to);
    }

    /** The error line of an item a cancel or an expiry left undone. */
    private static String unfinished(Journal.Item item, String code, Status to) {
        ObjectNode line = Json.object().put("id", "batch_req_" + item.line()).put("custom_id", item.customId()).putNull("response");
        line.putObject("error").put("code", code).put("message", "The batch was " + to.wire() + " before this request ran.");
        return Json.string(line);
    }

    /** A batch file's id, the same each time it is written: {@code file-} and 24 hex digits of a hash. */
    private static String fileId(String batchId, String kind) {
        return "file-" + sha256((batchId + "/" + kind).getBytes(StandardCharsets.UTF_8)).substring(0, 24);
    }

    private void fail(String id, String code, String message) {
        store.errors(id, Json.string(Json.mapper().createArrayNode().add(Json.object().put("code", code)
                .put("message", message).putNull("param").putNull("line"))));
        store.move(id, EnumSet.complementOf(EnumSet.of(Status.COMPLETED, Status.FAILED, Status.EXPIRED, Status.CANCELLED)),
                Status.FAILED);
    }

    /** Writes a batch's counts from its journal. */
    private void counted(String id, Journal journal) {
        Journal.Counts counts = journal.counts();
        Journal.Spent spent = journal.spent();
        store.count(id, new BatchStore.Counts(counts.total(), counts.done() - counts.failed(), counts.failed(),
                spent.costUsd(), spent.energyWh()));
    }

    /** Keeps a running batch's counts current for its readers, at most every {@link #COUNT_EVERY}. */
    private final class Counting implements JobProgress {
        private final String id;
        private final Journal journal;
        private final java.util.concurrent.atomic.AtomicLong last = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());

        Counting(String id, Journal journal) {
            this.id = id;
            this.journal = journal;
        }

        @Override
        public void started(Snapshot snapshot) {
            counted(id, journal);
        }

        @Override
        public void update(Snapshot snapshot) {
            long now = System.nanoTime();  // elapsed time, not the clock's: a clock may stand still or jump
            long before = last.get();
            if (now - before >= COUNT_EVERY.toNanos() && last.compareAndSet(before, now)) {
                counted(id, journal);
            }
        }

        @Override
        public void finished(Snapshot snapshot) {
            counted(id, journal);
        }
    }

    /** Expires the batches running here whose completion window has passed. */
    private void watchExpiry() {
        while (!closed) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            Instant now = clock.instant();
            running.forEach((id, runner) -> store.get(id).filter(b -> now.isAfter(b.expires()))
                    .ifPresent(b -> runner.stop(Stop.EXPIRE)));
        }
    }

    /** The model and route names a batch's requests may name. */
    private Set<String> served() {
        Set<String> names = new java.util.HashSet<>();
        dispatcher.portfolio().models().stream().map(ServedModel::id).forEach(names::add);
        dispatcher.router().routes().stream().map(RouteSpec::name).forEach(names::add);
        return names;
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a leftover is garbage in the state folder, not a failure of the batch
        }
    }

    /**
     * Stops running batches without ending them: requests in flight finish (within {@code bound}),
     * the rest stay pending, and the batches resume when the gateway starts again.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    void close(Duration bound) {
        closed = true;
        running.values().forEach(r -> r.stop(Stop.SHUTDOWN));
        threads.shutdown();
        try {
            if (!threads.awaitTermination(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                threads.shutdownNow();
            }
        } catch (InterruptedException e) {
            threads.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

}
