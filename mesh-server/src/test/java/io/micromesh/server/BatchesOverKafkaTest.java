package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponse;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.KafkaSettings;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.jobs.BatchJob;
import io.micromesh.jobs.HttpItemSender;
import io.micromesh.jobs.kafka.DevBroker;
import io.micromesh.jobs.kafka.KafkaWorker;
import io.micromesh.jobs.kafka.Messages;
import io.micromesh.jobs.kafka.Topics;
import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21: a gateway whose {@code server.batches.kafka} names a cluster hands its Batch API batches
 * to Kafka workers instead of running them itself; the batch completes with the workers' results.
 */
@Timeout(180)
class BatchesOverKafkaTest {

    @TempDir
    Path dir;

    @Test
    void aGatewayHandsItsBatchToAKafkaWorkerAndCollectsItsResults() throws Exception {
        try (DevBroker broker = DevBroker.start(0, dir.resolve("broker"));
             StandInServer upstream = StandInServer.start("worker-upstream").reply("answered by a worker")) {
            MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                    server: { port: 0, state-dir: "%s", access-log: false, batches: { kafka: "%s" } }
                    models:
                      - { id: remote, engine: openai, endpoints: ["http://127.0.0.1:9"] }
                    kafka: { topic-prefix: gateway, partitions: 2, session-timeout-ms: 6000 }
                    """.formatted(dir.resolve("state"), broker.bootstrap()));
            Topics topics = new Topics(config.kafka(), broker.bootstrap());
            HttpItemSender sender = new HttpItemSender(URI.create(upstream.baseUrl()), null, 4, Duration.ofMinutes(1));
            BatchJob.ItemRunner lines = BatchJob.itemRunner(sender, null, null, new BatchJob.Settings(4, 3, null, null, dir));
            KafkaWorker worker = new KafkaWorker(topics, "workers", 4, new KafkaWorker.Runners() {
                @Override
                public BatchJob.ItemRunner lines() {
                    return lines;
                }

                @Override
                public BatchJob.ItemRunner task(Messages.TaskSpec task) {
                    throw new IllegalArgumentException("no tasks here");
                }
            });
            Thread working = Thread.ofPlatform().start(worker::run);
            try (MeshRuntime runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet())) {
                String base = "http://127.0.0.1:" + runtime.serve(config.server()).port();
                OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("none").maxRetries(0).build();
                StringBuilder input = new StringBuilder();
                for (int i = 0; i < 30; i++) {
                    input.append("{\"custom_id\": \"q").append(i).append("\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\","
                            + " \"body\": {\"model\": \"remote\", \"messages\": [{\"role\": \"user\", \"content\": \"q").append(i)
                            .append("\"}]}}\n");
                }
                Path file = Files.writeString(dir.resolve("in.jsonl"), input);
                String fileId = client.files().create(FileCreateParams.builder().file(file).purpose(FilePurpose.BATCH).build()).id();
                Batch batch = client.batches().create(BatchCreateParams.builder().inputFileId(fileId)
                        .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                        .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (!batch.status().equals(Batch.Status.COMPLETED) && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    batch = client.batches().retrieve(batch.id());
                }
                assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
                assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(30);
                try (HttpResponse content = client.files().content(batch.outputFileId().orElseThrow())) {
                    String output = new String(content.body().readAllBytes(), StandardCharsets.UTF_8);
                    assertThat(output.lines()).hasSize(30).allSatisfy(l -> assertThat(l).contains("answered by a worker"));
                }
                assertThat(worker.done()).as("the worker ran them, not the gateway (whose model is unreachable)").isEqualTo(30);
            } finally {
                worker.stop();
                working.join(10_000);
            }
        }
    }
}
