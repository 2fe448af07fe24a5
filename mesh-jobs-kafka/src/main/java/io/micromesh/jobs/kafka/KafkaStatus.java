package io.micromesh.jobs.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What {@code mesh batch status --kafka} shows: each job of the jobs topic with its items and the
 * results committed so far; the workers' consumer group with its members and its lag (items
 * published but not yet consumed and committed); and each worker's results over the last minute.
 * It reads the jobs and results topics whole: meant for a development cluster or an operator's
 * occasional look, not for a dashboard polling every second.
 */
public final class KafkaStatus {

    /** A job: its id, items published, input lines, results committed, the failed among them. */
    public record Job(String id, long items, long lines, long results, long failed) {
    }

    /** A worker: its name (client id), the partitions it holds, results it committed in the last minute. */
    public record Worker(String name, int partitions, long resultsLastMinute) {
    }

    /** The whole picture: jobs, the group's lag, its workers. */
    public record Status(List<Job> jobs, String group, long lag, List<Worker> workers) {
    }

    private final Topics topics;
    private final Clock clock;

    public KafkaStatus(Topics topics, Clock clock) {
        this.topics = topics;
        this.clock = clock;
    }

    /**
     * Reads the status of the workers of {@code group}.
     *
     * @throws IllegalStateException when the cluster does not answer
     */
    public Status read(String group) {
        Map<String, long[]> jobs = new LinkedHashMap<>();  // items, lines, results, failed
        Map<String, Long> perWorker = new TreeMap<>();
        long since = clock.millis() - Duration.ofMinutes(1).toMillis();
        topics.readAll(topics.settings().jobsTopic(), r -> {
            JsonNode job = Messages.parse(r.value());
            if (job != null) {
                long[] figures = jobs.computeIfAbsent(r.key(), k -> new long[4]);
                figures[0] = job.path("items").asLong();
                figures[1] = job.path("lines").asLong();
            }
        });
        topics.readAll(topics.settings().resultsTopic(), r -> {
            Messages.Result result = Messages.readResult(r.value());
            if (result == null) {
                return;
            }
            long[] figures = jobs.computeIfAbsent(result.job(), k -> new long[4]);
            figures[2]++;
            if (result.failed()) {
                figures[3]++;
            }
            if (r.timestamp() >= since) {
                perWorker.merge(result.worker(), 1L, Long::sum);
            }
        });
        List<Job> jobList = new ArrayList<>();
        jobs.forEach((id, f) -> jobList.add(new Job(id, f[0], f[1], f[2], f[3])));
        long lag = 0;
        List<Worker> workers = new ArrayList<>();
        try (Admin admin = Admin.create(topics.client(Map.of("request.timeout.ms", 15_000, "default.api.timeout.ms", 30_000)))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            try (KafkaConsumer<String, String> ends = new KafkaConsumer<>(topics.client(Map.of("isolation.level",
                    "read_committed")), new StringDeserializer(), new StringDeserializer())) {
                List<TopicPartition> items = Topics.partitions(ends, topics.settings().itemsTopic());
                Map<TopicPartition, Long> end = ends.endOffsets(items);
                for (TopicPartition p : items) {
                    OffsetAndMetadata at = committed.get(p);
                    lag += waiting(ends, p, at == null ? ends.beginningOffsets(List.of(p)).get(p) : at.offset(), end.get(p));
                }
            }
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all()
                    .get(30, TimeUnit.SECONDS).get(group);
            Set<String> seen = new java.util.HashSet<>();
            for (MemberDescription member : description.members()) {
                seen.add(member.clientId());
                workers.add(new Worker(member.clientId(), member.assignment().topicPartitions().size(),
                        perWorker.getOrDefault(member.clientId(), 0L)));
            }
            perWorker.forEach((name, n) -> {
                if (!seen.contains(name)) {
                    workers.add(new Worker(name, 0, n));  // a worker gone from the group that committed in the last minute
                }
            });
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the group " + group + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the Kafka cluster at " + topics.bootstrap() + " did not answer within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return new Status(jobList, group, lag, workers);
    }

    /**
     * The committed records of {@code partition} from {@code from} to {@code end}: counted, since
     * offsets also number the transactions' commit markers (no item); past 100,000 the rest is
     * estimated from the offsets.
     */
    private static long waiting(KafkaConsumer<String, String> reader, TopicPartition partition, long from, long end) {
        if (from >= end) {
            return 0;
        }
        reader.assign(List.of(partition));
        reader.seek(partition, from);
        long counted = 0;
        while (reader.position(partition) < end && counted < 100_000) {
            counted += reader.poll(Duration.ofMillis(200)).count();
        }
        return counted + Math.max(0, end - reader.position(partition));
    }
}
