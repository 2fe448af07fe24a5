package io.micromesh.jobs.kafka;

import io.micromesh.api.Json;
import io.micromesh.jobs.JobItem;
import io.micromesh.jobs.JobProgress;
import io.micromesh.store.Journal;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The side of a batch job over Kafka that {@code mesh batch run --kafka} runs: it publishes the
 * job's items to the items topic once, then collects their results from the results topic into the
 * job's journal, and writes the output (one line per input line, in input order) when every item
 * has its result. Publishing is one Kafka transaction that also writes the job's record to the jobs
 * topic, so a run killed while publishing and resumed publishes nothing twice: either the
 * transaction committed (the job's record says so) or it is aborted and published again whole.
 * Collecting reads only committed results and journals each item once (a result seen twice, after a
 * worker's crash, counts once).
 */
public final class KafkaJob {

    private static final String JOB_ID = "kafka.job";
    private static final String PUBLISHED = "kafka.published";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** How a collection ended. */
    public sealed interface Outcome {
        /** Every item has its result; the output is written. */
        record Completed(List<Journal.Item> items) implements Outcome {
        }

        /** Stopped before every result came ({@link #stop}); the job resumes with {@code --resume}. */
        record Stopped() implements Outcome {
        }
    }

    private final Topics topics;
    private final Journal journal;
    private final JobProgress progress;
    private final Messages.TaskSpec task;
    private volatile boolean stopped;

    /** A job of batch lines. */
    public KafkaJob(Topics topics, Journal journal, JobProgress progress) {
        this(topics, journal, progress, null);
    }

    /**
     * A job of a task's records.
     *
     * @param task the task the workers run on each record, or null for batch lines
     */
    public KafkaJob(Topics topics, Journal journal, JobProgress progress, Messages.TaskSpec task) {
        this.topics = topics;
        this.journal = journal;
        this.progress = progress;
        this.task = task;
    }

    /** The job's id: made once, kept in its journal. */
    public String id() {
        return journal.attribute(JOB_ID).orElseGet(() -> {
            byte[] random = new byte[6];
            RANDOM.nextBytes(random);
            String id = "job-" + HexFormat.of().formatHex(random);
            journal.attribute(JOB_ID, id);
            return id;
        });
    }

    /**
     * Publishes the items (unless they were), collects their results, and writes {@code output}.
     *
     * @param output where the output goes, or null when its owner writes it from the journal
     */
    public Outcome run(List<JobItem> items, Path output) throws InterruptedException {
        topics.ensure();
        List<Journal.Item> register = new ArrayList<>();
        for (JobItem item : items) {
            register.add(new Journal.Item(item.line(), item.key(), !item.valid(), item.valid() ? null : invalidLine(item, task != null)));
        }
        journal.register(register);
        String job = id();
        if (journal.attribute(PUBLISHED).isEmpty()) {
            if (publishedBefore(job)) {
                journal.attribute(PUBLISHED, "true");
            } else {
                publish(job, items);
            }
        }
        return collect(job, items.size(), output);
    }

    /** Stops collecting (the job stays resumable). Thread-safe. */
    public void stop() {
        stopped = true;
    }

    /** Publishes every valid item and the job's record in one transaction, then notes it in the journal. */
    private void publish(String job, List<JobItem> items) {
        Set<Integer> done = journal.items().stream().filter(Journal.Item::done).map(Journal.Item::line).collect(Collectors.toSet());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(topics.client(Map.of(
                "transactional.id", "mesh-publish-" + job,
                "transaction.timeout.ms", 300_000,
                "linger.ms", 20,
                "compression.type", "lz4")), new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();  // aborts what a killed run of this job left open
            producer.beginTransaction();
            int published = 0;
            for (JobItem item : items) {
                if (item.valid() && !done.contains(item.line())) {
                    producer.send(new ProducerRecord<>(topics.settings().itemsTopic(), Messages.key(job, item.line()),
                            Messages.item(job, item)));
                    published++;
                }
            }
            producer.send(new ProducerRecord<>(topics.settings().jobsTopic(), job, Messages.job(job, published, items.size(),
                    task)));
            producer.commitTransaction();
        }
        journal.attribute(PUBLISHED, "true");
    }

    /** Whether a committed record of the job is in the jobs topic: its items were published by a run killed right after. */
    private boolean publishedBefore(String job) {
        boolean[] found = {false};
        topics.readAll(topics.settings().jobsTopic(), r -> found[0] |= job.equals(r.key()));
        return found[0];
    }

    /** Reads the committed results of the job into the journal until every item has one, or until stopped. */
    private Outcome collect(String job, int total, Path output) throws InterruptedException {
        Journal.Counts counts = journal.counts();
        long before = counts.done();
        progress.started(snapshot(counts, before));
        String prefix = job + "/";
        try (KafkaConsumer<String, String> consumer = committedReader()) {
            List<TopicPartition> partitions = Topics.partitions(consumer, topics.settings().resultsTopic());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (counts.done() < total) {
                if (stopped || Thread.currentThread().isInterrupted()) {
                    progress.finished(snapshot(counts, before));
                    return new Outcome.Stopped();
                }
                List<Journal.Completion> completions = new ArrayList<>();
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && r.key().startsWith(prefix)) {
                        Messages.Result result = Messages.readResult(r.value());
                        if (result != null && result.job().equals(job)) {
                            completions.add(result.completion());
                        }
                    }
                }
                if (!completions.isEmpty()) {
                    journal.completeAll(completions);  // an item already done is left as it is
                    counts = journal.counts();
                    progress.update(snapshot(counts, before));
                }
            }
        }
        progress.finished(snapshot(counts, before));
        List<Journal.Item> journaled = journal.items();
        if (output != null) {
            io.micromesh.jobs.OutputFile.write(output, journaled);
        }
        return new Outcome.Completed(journaled);
    }

    private JobProgress.Snapshot snapshot(Journal.Counts counts, long before) {
        Journal.Spent spent = journal.spent();
        return new JobProgress.Snapshot(counts.done(), counts.total(), before, 0, spent.costUsd(), spent.energyWh());
    }

    private KafkaConsumer<String, String> committedReader() {
        return new KafkaConsumer<>(topics.client(Map.of("isolation.level", "read_committed", "enable.auto.commit", "false",
                "max.poll.records", 2000)), new StringDeserializer(), new StringDeserializer());
    }

    /** The error line of an input line that cannot run: it is journaled at once, never published. */
    private static String invalidLine(JobItem item, boolean task) {
        if (task) {  // a task's error line, as a local job writes it
            var o = Json.object().put("id", item.key()).putNull("output");
            o.putObject("error").put("code", "invalid_request").put("message", item.error()).put("status_code", 400);
            return Json.string(o);
        }
        var o = Json.object().put("id", "batch_req_" + item.line()).put("custom_id", item.key());
        o.putObject("response").put("status_code", 400);
        o.putObject("error").put("code", "invalid_request").put("message", item.error());
        return Json.string(o);
    }

}
