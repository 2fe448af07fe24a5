package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.testkit.StandInServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21 end to end, as a user runs it: {@code mesh kafka-broker}, two {@code mesh worker}
 * processes and {@code mesh batch run --kafka}. One worker is killed with {@code kill -9} mid-job;
 * the other finishes the job; the output holds one line per id, and the results topic holds exactly
 * one committed result per item.
 */
@Timeout(300)
class KafkaWorkersTest {

    private static final int ITEMS = 400;
    private static final Pattern BROKER = Pattern.compile("listening on (\\S+:\\d+)");

    @TempDir
    Path dir;

    @Test
    void twoWorkersShareAJobAndWhenOneIsKilledTheOtherFinishesItWithOneResultPerItem() throws Exception {
        List<Process> processes = new ArrayList<>();
        try (StandInServer upstream = StandInServer.start("kafka-upstream").delay(Duration.ofMillis(25))) {
            Process brokerProcess = start(processes, "broker", "kafka-broker", "--port", "0", "--dir", dir.resolve("kafka").toString());
            String bootstrap = awaitLine(brokerProcess, BROKER);
            Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                    server: { state-dir: "%s", access-log: false }
                    models:
                      - { id: m, engine: openai, endpoints: ["%s"] }
                    kafka: { partitions: 4, session-timeout-ms: 6000, transaction-timeout-ms: 5000 }
                    """.formatted(dir.resolve("state"), upstream.baseUrl()));
            StringBuilder input = new StringBuilder();
            for (int i = 0; i < ITEMS; i++) {
                input.append("{\"custom_id\": \"k").append(i).append("\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\","
                        + " \"body\": {\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"call ").append(i)
                        .append("\"}]}}\n");
            }
            Path in = Files.writeString(dir.resolve("calls.jsonl"), input);
            Path out = dir.resolve("results.jsonl");
            Process doomed = start(processes, "worker-a", "worker", "--kafka", bootstrap, "--config", config.toString(),
                    "--concurrency", "4");
            Process survivor = start(processes, "worker-b", "worker", "--kafka", bootstrap, "--config", config.toString(),
                    "--concurrency", "4");
            CompletableFuture<MeshCli.Run> collected = CompletableFuture.supplyAsync(() -> MeshCli.mesh("batch", "run",
                    in.toString(), "--out", out.toString(), "--kafka", bootstrap, "--config", config.toString()));
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (upstream.generationRequests() < ITEMS / 4 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(upstream.generationRequests()).as("the job is under way").isGreaterThanOrEqualTo(ITEMS / 4);
            doomed.destroyForcibly();  // SIGKILL: no commit, no leaving the group
            assertThat(doomed.waitFor(20, TimeUnit.SECONDS)).isTrue();

            MeshCli.Run run = collected.get(200, TimeUnit.SECONDS);
            assertThat(run.exit()).as(run.err()).isZero();
            List<String> lines = Files.readAllLines(out);
            assertThat(lines).hasSize(ITEMS);
            for (int i = 0; i < ITEMS; i++) {
                JsonNode line = Json.parseObject(lines.get(i).getBytes(StandardCharsets.UTF_8));
                assertThat(line.path("custom_id").asText()).isEqualTo("k" + i);
                assertThat(line.path("response").path("status_code").asInt()).as(lines.get(i)).isEqualTo(200);
            }
            assertThat(Files.exists(dir.resolve("results.jsonl.report.json"))).isTrue();
            Map<String, Integer> committed = committedResults(bootstrap);
            assertThat(committed).as("a committed result per item").hasSize(ITEMS);
            assertThat(committed.values()).as("and only one").containsOnly(1);
            Map<String, Integer> sent = new HashMap<>();
            upstream.recorded().forEach(r -> sent.merge(r.body().path("messages").path(0).path("content").asText(), 1, Integer::sum));
            assertThat(sent).hasSize(ITEMS);
            assertThat(sent.values().stream().filter(n -> n > 1).count()).as("only calls in flight at the kill are repeated")
                    .isLessThanOrEqualTo(4);
            assertThat(survivor.isAlive()).isTrue();

            MeshCli.Run status = MeshCli.mesh("batch", "status", "--kafka", bootstrap, "--json");
            assertThat(status.exit()).as(status.err()).isZero();
            JsonNode seen = Json.parseObject(status.out().strip().getBytes(StandardCharsets.UTF_8));
            assertThat(seen.path("jobs")).hasSize(1);
            assertThat(seen.path("jobs").get(0).path("items").asInt()).isEqualTo(ITEMS);
            assertThat(seen.path("jobs").get(0).path("results").asInt()).isEqualTo(ITEMS);
            assertThat(seen.path("lag").asLong()).as("every item consumed and committed").isZero();
            assertThat(seen.path("workers").size()).as("the survivor, and the killed one's last minute").isBetween(1, 2);
        } finally {
            for (Process p : processes) {
                p.destroyForcibly();
                p.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    private Process start(List<Process> processes, String name, String... args) throws Exception {
        Process p = new ProcessBuilder(MeshProcess.command(args)).redirectError(dir.resolve(name + ".err").toFile()).start();
        processes.add(p);
        return p;
    }

    private static String awaitLine(Process process, Pattern pattern) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        return CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    Matcher m = pattern.matcher(line);
                    if (m.find()) {
                        return m.group(1);
                    }
                }
                throw new IllegalStateException("the process exited before saying where it listens");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(120, TimeUnit.SECONDS);
    }

    /** The committed records of the results topic, counted per key. */
    private static Map<String, Integer> committedResults(String bootstrap) {
        Map<String, Integer> counts = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
                "isolation.level", "read_committed"), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor("mesh.results").stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    counts.merge(r.key(), 1, Integer::sum);
                }
            }
        }
        return counts;
    }
}
