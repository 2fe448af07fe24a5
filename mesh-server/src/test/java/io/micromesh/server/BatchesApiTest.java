package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.batches.BatchError;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.testkit.FakeClock;
import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, the Batch API, driven by the official openai-java SDK against a gateway whose one model
 * is a stand-in: a batch runs to its output and error files (one line per {@code custom_id}); a
 * malformed input fails before anything is sent, naming its lines; a cancel keeps what was done;
 * a key's budget stops a batch resumably, and the resumed batch sends no item twice.
 */
@Timeout(120)
class BatchesApiTest {

    private static final String MASTER = "batches-master-key-0123456789";

    @TempDir
    Path dir;

    private record Running(MeshRuntime runtime, String base) implements AutoCloseable {
        @Override
        public void close() {
            runtime.close();
        }
    }

    private Running gateway(StandInServer upstream, String batches, String price, Clock clock) {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { port: 0, master-key: %s, state-dir: "%s", access-log: false, batches: %s }
                models:
                  - { id: remote, engine: openai, endpoints: ["%s"], max-in-flight: 16 %s }
                routes:
                  - { name: auto, policy: fallback, candidates: [remote] }
                """.formatted(MASTER, dir.resolve("state"), batches, upstream.baseUrl(), price));
        MeshRuntime runtime = MeshRuntime.open(config, new MeshRuntime.Options(List.of(), true,
                name -> io.micromesh.engines.pull.ProgressListener.none(), line -> { }, clock));
        return new Running(runtime, "http://127.0.0.1:" + runtime.serve(config.server()).port());
    }

    private static OpenAIClient client(String base, String key) {
        return OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey(key).maxRetries(0).build();
    }

    private static String issue(String base, String body) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            var created = http.send(HttpRequest.newBuilder(URI.create(base + "/admin/keys")).header("Authorization", "Bearer " + MASTER)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            return Json.parseObject(created.body().getBytes(StandardCharsets.UTF_8)).path("key").asText();
        }
    }

    private static String line(String customId, String model, String content) {
        return "{\"custom_id\": \"" + customId + "\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {\"model\": \""
                + model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"" + content + "\"}], \"max_tokens\": 5}}";
    }

    private String upload(OpenAIClient client, String name, List<String> lines) throws Exception {
        Path input = Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
        return client.files().create(FileCreateParams.builder().file(input).purpose(FilePurpose.BATCH).build()).id();
    }

    private static Batch create(OpenAIClient client, String fileId) {
        return create(client, fileId, BatchCreateParams.CompletionWindow._24H);
    }

    private static Batch create(OpenAIClient client, String fileId, BatchCreateParams.CompletionWindow window) {
        return client.batches().create(BatchCreateParams.builder().inputFileId(fileId)
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS).completionWindow(window)
                .metadata(BatchCreateParams.Metadata.builder().putAdditionalProperty("job", JsonValue.from("nightly")).build())
                .build());
    }

    private static Batch await(OpenAIClient client, String id, Predicate<Batch> until) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Batch batch = client.batches().retrieve(id);
        while (!until.test(batch) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            batch = client.batches().retrieve(id);
        }
        assertThat(until.test(batch)).as("batch %s reached the awaited state; it is %s, errors %s", id, batch.status(),
                batch.errors().flatMap(Batch.Errors::data).orElse(List.of())).isTrue();
        return batch;
    }

    private static List<JsonNode> lines(OpenAIClient client, String fileId) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        try (HttpResponse content = client.files().content(fileId)) {
            for (String line : new String(content.body().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    lines.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
        return lines;
    }

    /** How many requests the stand-in received per batch item (the request id is the batch's id and the item's). */
    private static Map<String, Integer> receivedPerItem(StandInServer upstream) {
        Map<String, Integer> counts = new TreeMap<>();
        upstream.recorded().stream().filter(r -> r.path().endsWith("/chat/completions"))
                .forEach(r -> counts.merge(r.headers().getOrDefault("x-request-id", "?").replaceFirst("^batch_[0-9a-f]+:", ""),
                        1, Integer::sum));
        return counts;
    }

    @Test
    void theSdkRunsABatchToOneLinePerCustomIdInItsOutputAndErrorFiles() throws Exception {
        try (StandInServer upstream = StandInServer.start("batch-upstream").failEvery(4);
             Running gateway = gateway(upstream, "{ max-attempts: 1 }", "", Clock.systemUTC())) {
            String key = issue(gateway.base(), "{\"name\": \"nightly\"}");
            OpenAIClient client = client(gateway.base(), key);
            List<String> input = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                input.add(line("r" + i, i % 3 == 0 ? "auto" : "remote", "call " + i));  // a route may be named, as online
            }
            String fileId = upload(client, "requests.jsonl", input);
            Batch created = create(client, fileId);
            assertThat(created.id()).startsWith("batch_");
            assertThat(created.status()).isEqualTo(Batch.Status.VALIDATING);
            assertThat(created.endpoint()).isEqualTo("/v1/chat/completions");
            assertThat(created.metadata().orElseThrow()._additionalProperties()).containsKey("job");

            Batch done = await(client, created.id(), b -> b.status().equals(Batch.Status.COMPLETED));
            assertThat(done.requestCounts().orElseThrow().total()).isEqualTo(12);
            assertThat(done.requestCounts().orElseThrow().failed()).as("every 4th request fails, with one attempt").isEqualTo(3);
            assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(9);
            assertThat(done.inProgressAt()).isPresent();
            assertThat(done.finalizingAt()).isPresent();
            assertThat(done.completedAt()).isPresent();

            List<JsonNode> output = lines(client, done.outputFileId().orElseThrow());
            List<JsonNode> errors = lines(client, done.errorFileId().orElseThrow());
            assertThat(output).hasSize(9).allSatisfy(l -> {
                assertThat(l.path("response").path("status_code").asInt()).isEqualTo(200);
                assertThat(l.path("response").path("body").path("choices").get(0).path("message").path("content").asText())
                        .isNotEmpty();
                assertThat(l.path("error").isNull()).isTrue();
                assertThat(l.path("response").path("request_id").asText())
                        .isEqualTo(created.id() + ":" + l.path("custom_id").asText());
            });
            assertThat(errors).hasSize(3).allSatisfy(l -> {
                assertThat(l.path("error").path("message").asText()).isNotEmpty();
                assertThat(l.path("response").path("status_code").asInt()).as("the gateway's answer to an upstream 500").isEqualTo(502);
            });
            List<String> ids = new ArrayList<>();
            output.forEach(l -> ids.add(l.path("custom_id").asText()));
            errors.forEach(l -> ids.add(l.path("custom_id").asText()));
            assertThat(ids).hasSize(12).containsExactlyInAnyOrderElementsOf(input.stream()
                    .map(l -> Json.parseObject(l.getBytes(StandardCharsets.UTF_8)).path("custom_id").asText()).toList());
            assertThat(receivedPerItem(upstream).values()).as("each item sent once").containsOnly(1);
            assertThat(client.batches().list().data()).extracting(Batch::id).contains(done.id());
            assertThat(done._additionalProperties()).containsKey("cost_usd");
            try (HttpClient http = HttpClient.newHttpClient()) {
                var usage = http.send(HttpRequest.newBuilder(URI.create(gateway.base() + "/v1/usage?group_by=workflow"))
                        .header("Authorization", "Bearer " + key).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                JsonNode batchUsage = null;
                for (JsonNode row : Json.parseObject(usage.body().getBytes(StandardCharsets.UTF_8)).path("data")) {
                    batchUsage = row.path("group").asText().equals(done.id()) ? row : batchUsage;
                }
                assertThat(batchUsage).as("the ledger counts the batch's requests under its id: " + usage.body()).isNotNull();
                assertThat(batchUsage.path("requests").asInt()).isEqualTo(12);
            }

            OpenAIClient other = client(gateway.base(), issue(gateway.base(), "{\"name\": \"other\"}"));
            assertThatThrownBy(() -> other.batches().retrieve(done.id())).isInstanceOf(NotFoundException.class);
            assertThat(other.batches().list().data()).isEmpty();
            assertThatThrownBy(() -> other.files().retrieve(done.outputFileId().orElseThrow()))
                    .as("the output file is the batch's key's").isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> client.batches().cancel(done.id())).isInstanceOf(BadRequestException.class)
                    .hasMessageContaining("completed");
        }
    }

    @Test
    void aMalformedInputFailsBeforeAnythingIsSentWithTheNumbersOfItsBadLines() throws Exception {
        try (StandInServer upstream = StandInServer.start("batch-upstream");
             Running gateway = gateway(upstream, "{}", "", Clock.systemUTC())) {
            String key = issue(gateway.base(), "{\"name\": \"nightly\"}");
            OpenAIClient client = client(gateway.base(), key);
            String fileId = upload(client, "bad.jsonl", List.of(
                    line("a", "remote", "fine"),
                    "{\"custom_id\": \"b\", \"method\": \"POST\"",                      // 2: not JSON
                    line("a", "remote", "again"),                                        // 3: a repeated custom_id
                    line("c", "remote", "x").replace("/v1/chat/completions", "/v1/embeddings"),  // 4: another endpoint
                    line("d", "no-such-model", "x"),                                     // 5: an unknown model
                    line("e", "remote", "x").replace("\"max_tokens\": 5", "\"stream\": true"),  // 6: a stream
                    "",
                    line("f", "remote", "fine")));
            Batch failed = await(client, create(client, fileId).id(), b -> b.status().equals(Batch.Status.FAILED));
            List<BatchError> errors = failed.errors().orElseThrow().data().orElseThrow();
            assertThat(errors).extracting(e -> e.line().orElse(-1L)).containsExactly(2L, 3L, 4L, 5L, 6L);
            assertThat(errors).extracting(e -> e.code().orElse("")).containsExactly("invalid_json_line", "duplicate_custom_id",
                    "mismatched_endpoint", "model_not_found", "invalid_body");
            assertThat(errors.get(4).message().orElseThrow()).contains("stream");
            assertThat(failed.failedAt()).isPresent();
            assertThat(upstream.generationRequests()).as("nothing sent").isZero();

            assertThat(await(client, create(client, upload(client, "empty.jsonl", List.of(""))).id(),
                    b -> b.status().equals(Batch.Status.FAILED)).errors().orElseThrow().data().orElseThrow())
                    .extracting(e -> e.code().orElse("")).containsExactly("empty_file");
            assertThatThrownBy(() -> client.batches().create(BatchCreateParams.builder().inputFileId("file-missing")
                    .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H).build()))
                    .isInstanceOf(BadRequestException.class).hasMessageContaining("file-missing");
            assertThatThrownBy(() -> client.batches().create(BatchCreateParams.builder().inputFileId(fileId)
                    .endpoint(BatchCreateParams.Endpoint.V1_MODERATIONS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H).build()))
                    .isInstanceOf(BadRequestException.class).hasMessageContaining("endpoint");
            assertThatThrownBy(() -> client.batches().create(BatchCreateParams.builder().inputFileId(fileId)
                    .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                    .completionWindow(BatchCreateParams.CompletionWindow.of("forever")).build()))
                    .isInstanceOf(BadRequestException.class).hasMessageContaining("completion_window");
            OpenAIClient other = client(gateway.base(), issue(gateway.base(), "{\"name\": \"other\"}"));
            assertThatThrownBy(() -> create(other, fileId)).as("another key's file").isInstanceOf(BadRequestException.class)
                    .hasMessageContaining("No file");
        }
    }

    @Test
    void aCancelledBatchStopsSendingAndKeepsALinePerCustomId() throws Exception {
        try (StandInServer upstream = StandInServer.start("slow-upstream").delay(Duration.ofMillis(150)).capacity(2);
             Running gateway = gateway(upstream, "{ concurrency: 2 }", "", Clock.systemUTC())) {
            OpenAIClient client = client(gateway.base(), MASTER);
            List<String> input = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                input.add(line("c" + i, "remote", "call " + i));
            }
            Batch created = create(client, upload(client, "long.jsonl", input));
            await(client, created.id(), b -> b.requestCounts().map(c -> c.completed() >= 4).orElse(false));
            Batch cancelling = client.batches().cancel(created.id());
            assertThat(cancelling.status()).isIn(Batch.Status.CANCELLING, Batch.Status.CANCELLED);
            Batch cancelled = await(client, created.id(), b -> b.status().equals(Batch.Status.CANCELLED));
            assertThat(cancelled.cancellingAt()).isPresent();
            assertThat(cancelled.cancelledAt()).isPresent();
            int sent = upstream.generationRequests();
            assertThat(sent).as("the cancel stopped the batch").isLessThan(40);
            Thread.sleep(400);
            assertThat(upstream.generationRequests()).as("nothing sent after the cancel completed").isEqualTo(sent);
            List<JsonNode> output = lines(client, cancelled.outputFileId().orElseThrow());
            List<JsonNode> errors = lines(client, cancelled.errorFileId().orElseThrow());
            assertThat(output.size() + errors.size()).isEqualTo(60);
            assertThat(output).hasSize(sent);
            assertThat(errors).allSatisfy(l -> assertThat(l.path("error").path("code").asText()).isEqualTo("batch_cancelled"));
            assertThatThrownBy(() -> client.batches().cancel(created.id())).isInstanceOf(BadRequestException.class);
        }
    }

    @Test
    void aKeysBudgetStopsABatchResumablyAndTheResumedBatchSendsNoItemTwice() throws Exception {
        FakeClock clock = new FakeClock(Instant.parse("2026-12-04T01:00:00Z"));
        // $1,000 per million tokens: an item costs about half a cent (and holds up to 8.6 cents while it runs); the day's
        // budget of 10 cents runs out mid-batch, every day until the batch is done
        try (StandInServer upstream = StandInServer.start("priced-upstream");
             Running gateway = gateway(upstream, "{ concurrency: 2 }",
                     ", context: 1000, price: { input-per-mtok: 1000, output-per-mtok: 1000 }", clock)) {
            String key = issue(gateway.base(), "{\"name\": \"thrifty\", \"budget\": {\"usd\": 0.10, \"period\": \"day\"}}");
            OpenAIClient client = client(gateway.base(), key);
            List<String> input = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                input.add(line("b" + i, "remote", "call " + i));
            }
            // a window of a week (micromesh takes hours up to 168h besides OpenAI's 24h): room for days of budgets
            Batch created = create(client, upload(client, "budget.jsonl", input), BatchCreateParams.CompletionWindow.of("168h"));
            Batch stopped = await(client, created.id(), b -> b.status().equals(Batch.Status.FAILED));
            BatchError why = stopped.errors().orElseThrow().data().orElseThrow().get(0);
            assertThat(why.code()).contains("budget_exceeded");
            assertThat(why.message().orElseThrow()).contains("/resume");
            long doneBefore = stopped.requestCounts().orElseThrow().completed();
            assertThat(doneBefore).isPositive().isLessThan(12);
            assertThat(stopped.requestCounts().orElseThrow().failed()).as("a refusal is not an item's failure").isZero();
            assertThat(upstream.generationRequests()).isEqualTo((int) doneBefore);

            Batch done = stopped;
            for (int day = 1; day <= 6 && !done.status().equals(Batch.Status.COMPLETED); day++) {
                clock.advance(Duration.ofDays(1));  // the next day, a new budget
                try (HttpClient http = HttpClient.newHttpClient()) {
                    var resumed = http.send(HttpRequest.newBuilder(URI.create(gateway.base() + "/v1/batches/" + created.id()
                                    + "/resume")).header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.noBody())
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
                    assertThat(resumed.body()).contains("\"status\":\"in_progress\"");
                }
                done = await(client, created.id(), b -> b.status().equals(Batch.Status.COMPLETED)
                        || b.status().equals(Batch.Status.FAILED));
            }
            assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
            assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(12);
            assertThat(lines(client, done.outputFileId().orElseThrow())).hasSize(12);
            assertThat(done.errorFileId()).isEmpty();
            Map<String, Integer> received = receivedPerItem(upstream);
            assertThat(received).hasSize(12);
            assertThat(received.values()).as("no item sent twice across the stop and the resume").containsOnly(1);
        }
    }

    @Test
    void aBatchPastItsCompletionWindowExpiresWithItsUnrunItemsInTheErrorFile() throws Exception {
        FakeClock clock = new FakeClock(Instant.parse("2026-12-04T09:00:00Z"));
        try (StandInServer upstream = StandInServer.start("slow-upstream").delay(Duration.ofMillis(100)).capacity(1);
             Running gateway = gateway(upstream, "{ concurrency: 1 }", "", clock)) {
            OpenAIClient client = client(gateway.base(), MASTER);
            List<String> input = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                input.add(line("e" + i, "remote", "call " + i));
            }
            Batch created = create(client, upload(client, "window.jsonl", input), BatchCreateParams.CompletionWindow.of("1h"));
            assertThat(created.expiresAt()).contains(created.createdAt() + 3600);
            await(client, created.id(), b -> b.requestCounts().map(c -> c.completed() >= 2).orElse(false));
            clock.advance(Duration.ofMinutes(61));
            Batch expired = await(client, created.id(), b -> b.status().equals(Batch.Status.EXPIRED));
            assertThat(expired.expiredAt()).isPresent();
            List<JsonNode> output = lines(client, expired.outputFileId().orElseThrow());
            List<JsonNode> errors = lines(client, expired.errorFileId().orElseThrow());
            assertThat(output.size() + errors.size()).isEqualTo(40);
            assertThat(errors).isNotEmpty()
                    .allSatisfy(l -> assertThat(l.path("error").path("code").asText()).isEqualTo("batch_expired"));
        }
    }

    @Test
    void twoBatchesShareTheBatchLane() throws Exception {
        try (StandInServer upstream = StandInServer.start("shared-upstream").delay(Duration.ofMillis(40)).capacity(2);
             Running gateway = gateway(upstream, "{ concurrency: 2 }", "", Clock.systemUTC())) {
            OpenAIClient client = client(gateway.base(), MASTER);
            List<String> first = new ArrayList<>();
            List<String> second = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                first.add(line("a" + i, "remote", "first " + i));
                second.add(line("b" + i, "remote", "second " + i));
            }
            Batch a = create(client, upload(client, "first.jsonl", first));
            Batch b = create(client, upload(client, "second.jsonl", second));
            await(client, a.id(), x -> x.status().equals(Batch.Status.COMPLETED));
            long secondDone = client.batches().retrieve(b.id()).requestCounts().orElseThrow().completed();
            // first come, first served in the lane, each batch with its own bound: they advance side by side
            assertThat(secondDone).as("the second batch was not starved by the first").isGreaterThanOrEqualTo(20);
            await(client, b.id(), x -> x.status().equals(Batch.Status.COMPLETED));
        }
    }
}
