package io.micromesh.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.core.config.KafkaSettings;
import io.micromesh.jobs.BatchJob;
import io.micromesh.jobs.HttpItemSender;
import io.micromesh.jobs.InputLines;
import io.micromesh.jobs.JobItem;
import io.micromesh.jobs.JobProgress;
import io.micromesh.jobs.task.BatchTask;
import io.micromesh.jobs.task.Steps;
import io.micromesh.store.Journal;
import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch work over a real (development) Kafka broker: workers in a consumer group run a job's items
 * against a stand-in model server and commit each result in a transaction; the collecting side
 * journals them into one output line per input line. A second worker joining mid-job (a rebalance)
 * shares the work without a result twice; a poison record becomes an error result; the collecting
 * side stopped and resumed publishes nothing again.
 */
@Timeout(180)
class KafkaJobTest {

    @TempDir
    static Path dir;
    private static DevBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = DevBroker.start(0, dir.resolve("broker"));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private static Topics topics(String prefix) {
        return new Topics(new KafkaSettings(prefix, 4, 1, 10_000, 6_000, Map.of()), broker.bootstrap());
    }

    private static String input(int n) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < n; i++) {
            lines.append("{\"custom_id\": \"c").append(i).append("\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\","
                    + " \"body\": {\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"call ").append(i)
                    .append("\"}]}}\n");
        }
        return lines.toString();
    }

    private static KafkaWorker worker(Topics topics, StandInServer upstream, int concurrency) {
        HttpItemSender sender = new HttpItemSender(URI.create(upstream.baseUrl()), null, concurrency, Duration.ofMinutes(1));
        BatchJob.ItemRunner lines = BatchJob.itemRunner(sender, null, null, new BatchJob.Settings(concurrency, 3, null, null, dir));
        return new KafkaWorker(topics, "workers", concurrency, new KafkaWorker.Runners() {
            @Override
            public BatchJob.ItemRunner lines() {
                return lines;
            }

            @Override
            public BatchJob.ItemRunner task(Messages.TaskSpec task) {
                BatchTask parsed = BatchTask.parse(task.text(), "the job's task");
                parsed = task.route() == null ? parsed : parsed.withRoute(task.route());
                return BatchJob.itemRunner(sender, parsed, parsed.prepare(new Steps.Resources(() -> {
                    throw new IllegalStateException("no encoder in this test");
                })), new BatchJob.Settings(concurrency, 3, null, null, dir));
            }
        });
    }

    private static Map<String, Integer> sentPerItem(StandInServer upstream) {
        Map<String, Integer> counts = new HashMap<>();
        upstream.recorded().stream().filter(r -> r.path().endsWith("/chat/completions")).forEach(r -> counts.merge(
                r.body().path("messages").path(0).path("content").asText(), 1, Integer::sum));
        return counts;
    }

    @Test
    void twoWorkersShareAJobAndASecondJoiningMidJobRebalancesWithoutAResultTwice() throws Exception {
        Topics topics = topics("share");
        // 300 items at 4 in flight and 100 ms each: 7.5 s for one worker, time for the group to rebalance mid-job
        try (StandInServer upstream = StandInServer.start("kafka-upstream").delay(Duration.ofMillis(100));
             Journal journal = Journal.open(dir.resolve("share.journal"), "in", "sha-share", null, false, Clock.systemUTC())) {
            List<JobItem> items = InputLines.batchFile(input(300) + "{not json\n");
            KafkaJob job = new KafkaJob(topics, journal, JobProgress.none());
            CompletableFuture<KafkaJob.Outcome> collected = CompletableFuture.supplyAsync(() -> {
                try {
                    return job.run(items, dir.resolve("share.jsonl"));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            KafkaWorker first = worker(topics, upstream, 4);
            Thread one = Thread.ofPlatform().start(first::run);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (first.done() < 40 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            KafkaWorker second = worker(topics, upstream, 4);  // joins mid-job: the group rebalances
            Thread two = Thread.ofPlatform().start(second::run);
            KafkaJob.Outcome outcome = collected.get(120, TimeUnit.SECONDS);
            first.stop();
            second.stop();
            one.join(10_000);
            two.join(10_000);
            assertThat(outcome).isInstanceOf(KafkaJob.Outcome.Completed.class);
            List<String> lines = Files.readAllLines(dir.resolve("share.jsonl"));
            assertThat(lines).hasSize(301);
            for (int i = 0; i < 300; i++) {
                JsonNode line = Json.parseObject(lines.get(i).getBytes(StandardCharsets.UTF_8));
                assertThat(line.path("custom_id").asText()).as("input order").isEqualTo("c" + i);
                assertThat(line.path("response").path("status_code").asInt()).isEqualTo(200);
            }
            assertThat(lines.get(300)).contains("is not a JSON object");
            assertThat(first.done() + second.done()).as("each item's result committed once").isEqualTo(300);
            assertThat(second.done()).as("the second worker took part").isPositive();
            assertThat(sentPerItem(upstream)).hasSize(300);
        }
    }

    @Test
    void aPoisonRecordBecomesAnErrorResultAndTheItemsBehindItRun() throws Exception {
        Topics topics = topics("poison");
        topics.ensure();
        try (StandInServer upstream = StandInServer.start("kafka-upstream");
             KafkaProducer<String, String> producer = new KafkaProducer<>(topics.client(Map.of()), new StringSerializer(),
                     new StringSerializer())) {
            // all on one partition (one key's): the poison first, two items behind it
            producer.send(new ProducerRecord<>(topics.settings().itemsTopic(), 0, "job-x/1", "{this is not an item")).get();
            List<JobItem> items = InputLines.batchFile(input(2));
            for (JobItem item : items) {
                producer.send(new ProducerRecord<>(topics.settings().itemsTopic(), 0, Messages.key("job-x", item.line() + 1),
                        Messages.item("job-x", new JobItem(item.line() + 1, item.key(), item.url(), item.body(), null, null)))).get();
            }
            KafkaWorker worker = worker(topics, upstream, 2);
            Thread running = Thread.ofPlatform().start(worker::run);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (worker.done() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            worker.stop();
            running.join(10_000);
            assertThat(worker.done()).isEqualTo(3);
            assertThat(sentPerItem(upstream)).hasSize(2);
        }
    }

    @Test
    void theCollectingSideStoppedAndResumedPublishesNothingAgain() throws Exception {
        Topics topics = topics("resume");
        Path journalFile = dir.resolve("resume.journal");
        List<JobItem> items = InputLines.batchFile(input(60));
        try (StandInServer upstream = StandInServer.start("kafka-upstream").delay(Duration.ofMillis(30))) {
            String jobId;
            try (Journal journal = Journal.open(journalFile, "in", "sha-resume", null, false, Clock.systemUTC())) {
                KafkaJob job = new KafkaJob(topics, journal, JobProgress.none());
                jobId = job.id();
                KafkaWorker worker = worker(topics, upstream, 2);
                Thread running = Thread.ofPlatform().start(worker::run);
                CompletableFuture<KafkaJob.Outcome> collected = CompletableFuture.supplyAsync(() -> {
                    try {
                        return job.run(items, dir.resolve("resume.jsonl"));
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (journal.counts().done() < 10 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                job.stop();
                assertThat(collected.get(30, TimeUnit.SECONDS)).isInstanceOf(KafkaJob.Outcome.Stopped.class);
                worker.stop();
                running.join(10_000);
            }
            assertThat(Files.exists(dir.resolve("resume.jsonl"))).as("no output before every result").isFalse();
            // the job resumes later; a worker finishes the items meanwhile
            KafkaWorker worker = worker(topics, upstream, 2);
            Thread running = Thread.ofPlatform().start(worker::run);
            try (Journal journal = Journal.open(journalFile, "in", "sha-resume", null, true, Clock.systemUTC())) {
                KafkaJob job = new KafkaJob(topics, journal, JobProgress.none());
                assertThat(job.id()).isEqualTo(jobId);
                assertThat(job.run(items, dir.resolve("resume.jsonl"))).isInstanceOf(KafkaJob.Outcome.Completed.class);
            } finally {
                worker.stop();
                running.join(10_000);
            }
            assertThat(Files.readAllLines(dir.resolve("resume.jsonl"))).hasSize(60);
            assertThat(sentPerItem(upstream)).as("each item published and run once").hasSize(60)
                    .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
        }
    }

    @Test
    void aTasksRecordsRunOnTheWorkersWithTheTaskTheJobCarries() throws Exception {
        Topics topics = topics("task");
        StringBuilder records = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            records.append("{\"id\": \"r").append(i).append("\", \"text\": \"The customer called about invoice ").append(i)
                    .append(".\"}\n");
        }
        try (StandInServer upstream = StandInServer.start("kafka-upstream").reply("{\"summary\": \"a call about an invoice\"}");
             Journal journal = Journal.open(dir.resolve("task.journal"), "in", "sha-task", "summarize", false, Clock.systemUTC())) {
            KafkaWorker worker = worker(topics, upstream, 4);
            Thread running = Thread.ofPlatform().start(worker::run);
            try {
                KafkaJob job = new KafkaJob(topics, journal, JobProgress.none(),
                        new Messages.TaskSpec(BatchTask.text("summarize"), "m"));
                assertThat(job.run(InputLines.records(records.toString()), dir.resolve("task.jsonl")))
                        .isInstanceOf(KafkaJob.Outcome.Completed.class);
            } finally {
                worker.stop();
                running.join(10_000);
            }
            List<String> lines = Files.readAllLines(dir.resolve("task.jsonl"));
            assertThat(lines).hasSize(20);
            JsonNode first = Json.parseObject(lines.get(0).getBytes(StandardCharsets.UTF_8));
            assertThat(first.path("id").asText()).isEqualTo("r0");
            assertThat(first.path("output").path("summary").asText()).as(lines.get(0)).isEqualTo("a call about an invoice");
            assertThat(upstream.recorded().get(0).body().path("messages").toString()).contains("invoice");
        }
    }
}
