package io.micromesh.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.micromesh.api.Json;
import io.micromesh.api.JsonBody;
import io.micromesh.jobs.task.BatchTask;
import io.micromesh.store.Journal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * Runs a job's items durably: each item not yet journaled is sent (in the {@code batch} lane, at
 * most {@code concurrency} at once, retriable failures retried with exponential back-off and full
 * jitter), and its result — an answer or an error line — is journaled before it counts. A run
 * killed at any moment and started again sends only the items not journaled (those in flight at
 * the kill may be sent twice). The output is written when every item is done, in input order,
 * atomically (a temporary file renamed), so it never holds a partial or duplicated line.
 */
public final class BatchJob {

    /**
     * How a job runs.
     *
     * @param concurrency requests in flight at most
     * @param maxAttempts attempts per item for retriable failures (429, 5xx, connection)
     * @param maxCostUsd  stop sending once the journaled items cost this much, or null
     * @param maxEnergyWh stop sending once the journaled items used this much energy, or null
     * @param inputDir    where relative paths in records (audio files) are resolved: the input's folder
     */
    public record Settings(int concurrency, int maxAttempts, Double maxCostUsd, Double maxEnergyWh, Path inputDir) {

        public Settings {
            if (concurrency < 1 || maxAttempts < 1) {
                throw new IllegalArgumentException("concurrency and max attempts must be at least 1");
            }
            if (maxCostUsd != null && !(maxCostUsd > 0) || maxEnergyWh != null && !(maxEnergyWh > 0)) {
                throw new IllegalArgumentException("the cost and energy budgets must be positive");
            }
        }
    }

    /** How a run ended. */
    public sealed interface Outcome {

        /** Every item is done; the output holds one line per input line. */
        record Completed(List<Journal.Item> items) implements Outcome {
        }

        /** A budget was reached; the items not sent stay pending for a resumed run. */
        record Stopped(String reason) implements Outcome {
        }

        /** The run was interrupted; items in flight stay pending. */
        record Interrupted() implements Outcome {
        }
    }

    private final Journal journal;
    private final ItemSender sender;
    private final BatchTask task;
    private final BatchTask.Prepared steps;
    private final Settings settings;
    private final JobProgress progress;
    private final RetryPolicy retries;
    /** The transcription stage of a task that takes audio, else null. */
    private final AudioTranscription audio;
    private final AtomicLong doneThisRun = new AtomicLong();
    /** Requests of this job being sent now: each may hold part of its caller's budget until it ends. */
    private final java.util.concurrent.atomic.AtomicInteger sending = new java.util.concurrent.atomic.AtomicInteger();
    /** Requests of this job that have ended, to wait for one when a budget refuses while others hold it. */
    private final AtomicLong sent = new AtomicLong();
    /** Why the job must send nothing more (its owner's stop, or its caller's budget refusing), or null. */
    private final java.util.concurrent.atomic.AtomicReference<String> halt = new java.util.concurrent.atomic.AtomicReference<>();
    private final AtomicLong tokens = new AtomicLong();
    private final DoubleAdder cost = new DoubleAdder();
    private final DoubleAdder energy = new DoubleAdder();
    private long total;
    private long doneBefore;

    /**
     * @param task  the task, or null for a batch file of requests
     * @param steps the task prepared for this job, or null without a task
     */
    public BatchJob(Journal journal, ItemSender sender, BatchTask task, BatchTask.Prepared steps, Settings settings,
            JobProgress progress) {
        if ((task == null) != (steps == null)) {
            throw new IllegalArgumentException("a task comes with its prepared steps");
        }
        this.journal = journal;
        this.sender = sender;
        this.task = task;
        this.steps = steps;
        this.settings = settings;
        this.progress = progress;
        this.retries = RetryPolicy.of(settings.maxAttempts());
        this.audio = task == null ? null
                : task.transcription().map(t -> new AudioTranscription(t, settings.inputDir())).orElse(null);
    }

    /** Runs one item to its output line: a job's sends, retries, steps and error lines, without its journal. */
    public interface ItemRunner {
        /**
         * @throws CancellationException when the item could not be run now (interrupted, or its caller's
         *                               budget refused): it is not done and should be run again later
         */
        Journal.Completion run(JobItem item);
    }

    /**
     * Runs single items as a job does, for workers whose results are made durable elsewhere (a Kafka
     * transaction): the same sends, retries, task steps and output and error lines as {@link #run}.
     *
     * @param task  the task, or null for batch lines
     * @param steps the task prepared, or null without a task
     */
    public static ItemRunner itemRunner(ItemSender sender, BatchTask task, BatchTask.Prepared steps, Settings settings) {
        return new BatchJob(null, sender, task, steps, settings, JobProgress.none())::runItem;
    }

    /**
     * Registers the items (on a resumed job: checks they are the journaled ones), runs those not
     * done and, when all are, writes the output.
     *
     * @param output where the output goes, or null when its owner writes it from the journal
     */
    public Outcome run(List<JobItem> items, Path output) throws InterruptedException {
        List<Journal.Item> register = new ArrayList<>();
        for (JobItem item : items) {
            register.add(new Journal.Item(item.line(), item.key(), !item.valid(),
                    item.valid() ? null : Json.string(errorLine(item, 400, "invalid_request", item.error()))));
        }
        journal.register(register);
        Set<Integer> done = new HashSet<>();
        journal.items().stream().filter(Journal.Item::done).forEach(i -> done.add(i.line()));
        total = items.size();
        doneBefore = done.size();
        progress.started(snapshot());
        Semaphore inFlight = new Semaphore(settings.concurrency());
        String stopped = null;
        GroupWriter writer = new GroupWriter(journal, settings.concurrency());
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (JobItem item : items) {
                if (done.contains(item.line())) {
                    continue;
                }
                inFlight.acquire();
                stopped = halt.get() != null ? halt.get() : overBudget();
                if (stopped != null) {
                    inFlight.release();
                    break;
                }
                workers.submit(() -> {
                    try {
                        long started = System.nanoTime();
                        Journal.Completion result = runItem(item);
                        writer.add(result, System.nanoTime() - started);
                        doneThisRun.incrementAndGet();
                        progress.update(snapshot());
                    } catch (CancellationException e) {
                        // interrupted mid-request: the item stays pending
                    } finally {
                        inFlight.release();
                    }
                });
            }
        } finally {
            writer.close();
            progress.finished(snapshot());
        }
        if (stopped == null) {
            stopped = halt.get();  // a refusal of the last items sent, or a stop while they ran
        }
        if (stopped != null) {
            return new Outcome.Stopped(stopped);
        }
        List<Journal.Item> journaled = journal.items();
        if (journaled.stream().anyMatch(i -> !i.done())) {
            return new Outcome.Interrupted();
        }
        if (output != null) {
            OutputFile.write(output, journaled);
        }
        return new Outcome.Completed(journaled);
    }

    /**
     * Asks the job to send nothing more: items in flight finish and are journaled, the others stay
     * pending, and {@link #run} returns {@link Outcome.Stopped} with {@code reason}. Thread-safe.
     */
    public void stop(String reason) {
        halt.compareAndSet(null, reason);
    }

    private JobProgress.Snapshot snapshot() {
        return new JobProgress.Snapshot(doneBefore + doneThisRun.get(), total, doneBefore, tokens.get(), cost.sum(),
                energy.sum());
    }

    /** Why the job must stop sending, or null while it is within its budgets. */
    private String overBudget() {
        if (settings.maxCostUsd() == null && settings.maxEnergyWh() == null) {
            return null;
        }
        Journal.Spent spent = journal.spent();
        if (settings.maxCostUsd() != null && spent.costUsd() >= settings.maxCostUsd()) {
            return String.format(Locale.ROOT, "the cost reached $%.6f of --max-cost-usd %s", spent.costUsd(), settings.maxCostUsd());
        }
        if (settings.maxEnergyWh() != null && spent.energyWh() >= settings.maxEnergyWh()) {
            return String.format(Locale.ROOT, "the energy reached %.6f Wh of --max-energy-wh %s", spent.energyWh(),
                    settings.maxEnergyWh());
        }
        return null;
    }

    /** One item's result: its steps and, when needed, its request, sent until it succeeds or fails for good. */
    private Journal.Completion runItem(JobItem item) {
        if (task == null) {
            Attempted sent = send(item, new ItemSender.Request.Json(item.key(), item.url(), item.body()));
            String result = sent.answer() == null ? Json.string(sent.error()) : answerLine(item, sent.answer(), sent.requestId());
            return new Journal.Completion(item.line(), result, sent.attempts(), sent.cost(), sent.energy(), sent.answer() == null);
        }
        JsonNode record = item.record();
        AudioTranscription.Heard heard = null;
        if (audio != null && audio.needed(record)) {
            switch (hear(item, record)) {
                case Hearing.Failed failed -> {
                    return failed.completion();
                }
                case Hearing.Heard done -> {
                    heard = done.heard();
                    record = ((ObjectNode) record.deepCopy()).put(task.transcription().orElseThrow().into(), heard.text());
                }
            }
        }
        double heardCost = heard == null ? 0 : heard.cost();
        double heardEnergy = heard == null ? 0 : heard.energy();
        BatchTask.Work work;
        try {
            work = steps.start(item.key(), record);
        } catch (IllegalArgumentException e) {
            return new Journal.Completion(item.line(), Json.string(errorLine(item, 400, "invalid_request",
                    "line " + item.line() + ": " + e.getMessage())), 0, heardCost, heardEnergy, true);
        } catch (RuntimeException e) {
            return new Journal.Completion(item.line(), Json.string(errorLine(item, 500, "step_failed",
                    "a step failed on line " + item.line() + ": " + e)), 0, heardCost, heardEnergy, true);
        }
        if (work.request() == null) {
            return new Journal.Completion(item.line(), Json.string(withTranscription(task.output(work, null), heard)), 0,
                    heardCost, heardEnergy);
        }
        Attempted sent = send(item, new ItemSender.Request.Json(item.key(), "/v1/chat/completions", work.request()));
        String result = sent.answer() == null ? Json.string(withTranscription(sent.error(), heard))
                : Json.string(withTranscription(task.output(work, sent.answer().tree()), heard));
        return new Journal.Completion(item.line(), result, sent.attempts(), sent.cost() + heardCost,
                sent.energy() + heardEnergy, sent.answer() == null);
    }

    /** How the transcription stage of an audio record ended. */
    private sealed interface Hearing {
        /** Its error line, with what the requests that were answered cost. */
        record Failed(Journal.Completion completion) implements Hearing {
        }

        /** The transcript and its figures. */
        record Heard(AudioTranscription.Heard heard) implements Hearing {
        }
    }

    /** Sends a record's audio (a request per channel of a stereo call) and makes its transcript. */
    private Hearing hear(JobItem item, JsonNode record) {
        List<AudioTranscription.Upload> uploads;
        try {
            uploads = audio.uploads(record);
        } catch (IllegalArgumentException e) {
            return new Hearing.Failed(new Journal.Completion(item.line(), Json.string(errorLine(item, 400, "invalid_audio",
                    "line " + item.line() + ": " + e.getMessage())), 0, 0, 0, true));
        }
        List<JsonNode> answers = new ArrayList<>();
        int attempts = 0;
        double spentCost = 0;
        double spentEnergy = 0;
        for (AudioTranscription.Upload upload : uploads) {
            Attempted sent = send(item, upload.request(item.key(), audio.model()));
            attempts += sent.attempts();
            if (sent.answer() == null) {
                return new Hearing.Failed(new Journal.Completion(item.line(), Json.string(sent.error()), attempts, spentCost,
                        spentEnergy, true));
            }
            spentCost += sent.cost();
            spentEnergy += sent.energy();
            answers.add(sent.answer().tree());
        }
        return new Hearing.Heard(audio.heard(uploads, answers));
    }

    /** A task's line with its transcription stage's figures, when its record was audio. */
    private static ObjectNode withTranscription(ObjectNode line, AudioTranscription.Heard heard) {
        if (heard != null) {
            line.set("transcription", heard.figures());
        }
        return line;
    }

    /** A request's end: the answer, or the error line after the last attempt. */
    private record Attempted(JsonBody answer, ObjectNode error, int attempts, double cost, double energy, String requestId) {
    }

    /**
     * Sends a request until it is answered, fails for good, or has had its attempts; between
     * attempts it waits as the retry policy says (full jitter, never less than a Retry-After).
     */
    private Attempted send(JobItem item, ItemSender.Request request) {
        for (int attempt = 1; ; attempt++) {
            ItemSender.Reply reply;
            sending.incrementAndGet();
            try {
                reply = sender.send(request);
            } finally {
                sending.decrementAndGet();
                sent.incrementAndGet();
            }
            switch (reply) {
                case ItemSender.Reply.Answered answered -> {
                    tokens.addAndGet(answered.tokens());
                    cost.add(answered.costUsd());
                    energy.add(answered.energyWh());
                    return new Attempted(answered.body(), null, attempt, answered.costUsd(), answered.energyWh(),
                            answered.requestId());
                }
                case ItemSender.Reply.Refused refused when sending.get() > 0 && halt.get() == null -> {
                    // other requests of this job hold part of the budget while they run: wait for one to end and
                    // try again (not an attempt); only a refusal with none of them running means the budget is spent
                    long seen = sent.get();
                    while (sent.get() == seen && sending.get() > 0 && halt.get() == null) {
                        sleep(Duration.ofMillis(10));
                    }
                    attempt--;
                }
                case ItemSender.Reply.Refused refused -> {
                    halt.compareAndSet(null, refused.message());
                    throw new CancellationException("refused");  // not journaled: stays pending for a resume
                }
                case ItemSender.Reply.Failed failed -> {
                    if (!failed.retriable() || !retries.retries(attempt)) {
                        return new Attempted(null, errorLine(item, failed.status(), failed.code(), failed.message()
                                + (failed.retriable() ? " (after " + attempt + " attempts)" : "")), attempt, 0, 0, null);
                    }
                    sleep(retries.delay(attempt, failed.retryAfter(), ThreadLocalRandom.current()));
                }
            }
        }
    }

    /**
     * An answered line in OpenAI's batch output shape, with the answer's bytes put in as they came:
     * a line per item is on the job's hot path, and the answer need not be parsed to be copied.
     */
    private static String answerLine(JobItem item, JsonBody answer, String requestId) {
        return "{\"id\":\"batch_req_" + item.line() + "\",\"custom_id\":" + Json.string(TextNode.valueOf(item.key()))
                + ",\"response\":{\"status_code\":200,\"request_id\":"
                + (requestId == null ? "null" : Json.string(TextNode.valueOf(requestId)))
                + ",\"body\":" + new String(answer.bytes(), StandardCharsets.UTF_8) + "},\"error\":null}";
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted");  // not journaled: stays pending for a resume
        }
    }

    private ObjectNode errorLine(JobItem item, int status, String code, String message) {
        if (task != null) {
            ObjectNode o = Json.object().put("id", item.key()).putNull("output");
            o.putObject("error").put("code", code).put("message", message).put("status_code", status);
            return o;
        }
        ObjectNode o = Json.object().put("id", "batch_req_" + item.line()).put("custom_id", item.key());
        if (status > 0) {
            o.putObject("response").put("status_code", status);
        } else {
            o.putNull("response");
        }
        o.putObject("error").put("code", code).put("message", message);
        return o;
    }
}
