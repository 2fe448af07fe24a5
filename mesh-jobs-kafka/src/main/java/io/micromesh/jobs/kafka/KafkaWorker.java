package io.micromesh.jobs.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.jobs.BatchJob;
import io.micromesh.jobs.JobItem;
import io.micromesh.store.Journal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code mesh worker}: a member of a consumer group on the items topic that runs each item through
 * the portfolio and writes its result to the results topic — read, process and write in one Kafka
 * transaction per poll (the consumed offsets are committed in the producer's transaction), so that
 * each item's result is committed exactly once, even when a worker crashes or the group rebalances.
 * A model call of an item in flight at a crash may be made again by the worker that takes its
 * partition over (exactly-once results, at-least-once calls).
 *
 * <p>At most {@code concurrency} items are in flight: the worker polls that many records, runs them
 * side by side, commits, and only then polls again (back-pressure: nothing is buffered beyond them).
 * A record that is not an item (a poison record) becomes an error result under its key, committed
 * like any other, so that it never stalls its partition.
 */
public final class KafkaWorker implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(KafkaWorker.class.getName());

    /** What runs the items of a job: its batch lines, or its task's records. */
    public interface Runners {
        /** Runs batch lines. */
        BatchJob.ItemRunner lines();

        /**
         * Runs the records of a job's task.
         *
         * @throws IllegalArgumentException when the task cannot run here (not valid, or its route is not served)
         */
        BatchJob.ItemRunner task(Messages.TaskSpec task);
    }

    private final Topics topics;
    private final Runners runners;
    /** Each job's runner (or why its task cannot run here), made when its first item comes. */
    private final Map<String, Object> byJob = new java.util.concurrent.ConcurrentHashMap<>();
    private final String worker;
    private final KafkaConsumer<String, String> consumer;
    private final KafkaProducer<String, String> producer;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong done = new AtomicLong();
    private volatile boolean stopped;

    /**
     * @param group       the consumer group: workers of one group share the items
     * @param concurrency items in flight at most
     * @param runner      runs one item through the portfolio
     */
    public KafkaWorker(Topics topics, String group, int concurrency, Runners runners) {
        this.topics = topics;
        this.runners = runners;
        this.worker = "worker-" + UUID.randomUUID().toString().substring(0, 8);
        int session = topics.settings().sessionTimeoutMs();
        this.consumer = new KafkaConsumer<>(topics.client(Map.of(
                "group.id", group,
                "client.id", worker,
                "enable.auto.commit", "false",
                "isolation.level", "read_committed",
                "auto.offset.reset", "earliest",
                "max.poll.records", concurrency,
                "max.poll.interval.ms", 900_000,
                "session.timeout.ms", session,
                "heartbeat.interval.ms", Math.max(1000, session / 3))), new StringDeserializer(), new StringDeserializer());
        this.producer = new KafkaProducer<>(topics.client(Map.of(
                "transactional.id", "mesh-" + group + "-" + worker,
                "client.id", worker,
                "transaction.timeout.ms", topics.settings().transactionTimeoutMs(),
                "linger.ms", 5)), new StringSerializer(), new StringSerializer());
    }

    /** This worker's name, in its results and logs. */
    public String name() {
        return worker;
    }

    /** Items whose results this worker committed. */
    public long done() {
        return done.get();
    }

    /** Runs until {@link #stop} (or a fatal Kafka error). */
    public void run() {
        producer.initTransactions();
        consumer.subscribe(List.of(topics.settings().itemsTopic()));
        try {
            while (!stopped) {
                ConsumerRecords<String, String> records;
                try {
                    records = consumer.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    break;
                }
                if (!records.isEmpty()) {
                    process(records);
                }
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
            producer.close(Duration.ofSeconds(5));
            threads.shutdownNow();
        }
    }

    /** Runs the polled items side by side, then commits their results and their offsets in one transaction. */
    private void process(ConsumerRecords<String, String> records) {
        List<ConsumerRecord<String, String>> list = new ArrayList<>();
        records.forEach(list::add);
        List<Future<String>> results = new ArrayList<>();
        for (ConsumerRecord<String, String> record : list) {
            results.add(threads.submit(() -> resultOf(record)));
        }
        List<String> values = new ArrayList<>();
        try {
            for (Future<String> result : results) {
                values.add(result.get());
            }
        } catch (ExecutionException e) {
            // an item that could not run now (interrupted, or refused by a budget): none is committed, all run again
            LOG.log(System.Logger.Level.WARNING, "items not run now, left for a retry: " + e.getCause());
            rewind(list);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
            rewind(list);
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, String> record : list) {
            offsets.merge(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1),
                    (a, b) -> a.offset() >= b.offset() ? a : b);
        }
        try {
            producer.beginTransaction();
            for (int i = 0; i < list.size(); i++) {
                producer.send(new ProducerRecord<>(topics.settings().resultsTopic(), list.get(i).key(), values.get(i)));
            }
            producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            producer.commitTransaction();
            done.addAndGet(list.size());
        } catch (ProducerFencedException e) {
            throw new IllegalStateException("another worker took this worker's transactional id: " + e.getMessage(), e);
        } catch (KafkaException e) {
            // most often a rebalance took the partitions away meanwhile: the new owner runs them again
            LOG.log(System.Logger.Level.INFO, "results not committed (" + e.getMessage() + "); their items run again");
            try {
                producer.abortTransaction();
            } catch (KafkaException ignored) {
                // the transaction is already over
            }
            rewind(list);
        }
    }

    /** Puts the consumer back at the committed offsets of the partitions of {@code records} it still owns. */
    private void rewind(List<ConsumerRecord<String, String>> records) {
        var owned = consumer.assignment();
        var partitions = new java.util.HashSet<TopicPartition>();
        records.forEach(r -> partitions.add(new TopicPartition(r.topic(), r.partition())));
        partitions.retainAll(owned);
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(partitions);
        for (TopicPartition p : partitions) {
            OffsetAndMetadata at = committed.get(p);
            if (at != null) {
                consumer.seek(p, at.offset());
            } else {
                consumer.seekToBeginning(List.of(p));
            }
        }
    }

    /** The result record of one item record: its output line, or an error line for a poison record. */
    private String resultOf(ConsumerRecord<String, String> record) {
        String job = record.key() != null && record.key().contains("/") ? record.key().substring(0, record.key().lastIndexOf('/'))
                : "unknown";
        JobItem item;
        try {
            item = Messages.readItem(record.value());
        } catch (IllegalArgumentException e) {
            int line = lineOf(record.key());
            ObjectNode error = Json.object().put("id", "batch_req_" + line).put("custom_id", "line-" + line).putNull("response");
            error.putObject("error").put("code", "invalid_item").put("message", "the item at " + record.topic() + "/"
                    + record.partition() + "@" + record.offset() + " cannot be run: " + e.getMessage());
            return Messages.result(job, line, "line-" + line, new Journal.Completion(line, Json.string(error), 0, 0, 0, true),
                    worker);
        }
        Journal.Completion completion;
        try {
            completion = runnerFor(job, item).run(item);
        } catch (CancellationException e) {
            throw e;
        } catch (IllegalArgumentException e) {  // the job's task cannot run here
            ObjectNode error = Json.object().put("id", item.key()).putNull("output");
            error.putObject("error").put("code", "invalid_task").put("message", e.getMessage()).put("status_code", 400);
            completion = new Journal.Completion(item.line(), Json.string(error), 0, 0, 0, true);
        } catch (RuntimeException e) {
            ObjectNode error = Json.object().put("id", "batch_req_" + item.line()).put("custom_id", item.key()).putNull("response");
            error.putObject("error").put("code", "item_failed").put("message", "the item failed in worker " + worker + ": " + e);
            completion = new Journal.Completion(item.line(), Json.string(error), 0, 0, 0, true);
        }
        return Messages.result(job, item.line(), item.key(), completion, worker);
    }

    /** The runner of a job's item: batch lines run as they are; a task's records need the job's task. */
    private BatchJob.ItemRunner runnerFor(String job, JobItem item) {
        if (item.record() == null) {
            return runners.lines();
        }
        Object known = byJob.computeIfAbsent(job, j -> {
            Messages.TaskSpec task = jobTask(j);
            if (task == null) {
                return new IllegalArgumentException("job " + j + " has a record item but no task in "
                        + topics.settings().jobsTopic());
            }
            try {
                return runners.task(task);
            } catch (IllegalArgumentException e) {
                return e;
            }
        });
        if (known instanceof IllegalArgumentException why) {
            throw new IllegalArgumentException(why.getMessage(), why);
        }
        return (BatchJob.ItemRunner) known;
    }

    /** The task of a job, from its committed record in the jobs topic (written with its items), or null. */
    private Messages.TaskSpec jobTask(String job) {
        Messages.TaskSpec[] found = {null};
        topics.readAll(topics.settings().jobsTopic(), r -> {
            if (job.equals(r.key())) {
                found[0] = Messages.readTask(r.value());
            }
        });
        return found[0];
    }

    private static int lineOf(String key) {
        try {
            return key == null ? -1 : Integer.parseInt(key.substring(key.lastIndexOf('/') + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Asks the worker to stop after the items in hand are committed. Thread-safe. */
    public void stop() {
        stopped = true;
        consumer.wakeup();
    }

    @Override
    public void close() {
        stop();
    }
}
