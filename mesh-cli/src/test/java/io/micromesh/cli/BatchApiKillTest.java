package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: a gateway killed with {@code kill -9} in the middle of a Batch API batch and started
 * again resumes the batch by itself; it completes with exactly one line per {@code custom_id}, and
 * no item journaled before the kill is sent again (counted at the stand-in; only items in flight at
 * the kill may be).
 */
@Timeout(240)
class BatchApiKillTest {

    private static final int ITEMS = 200;
    private static final int CONCURRENCY = 4;

    @TempDir
    Path dir;

    @Test
    void aBatchResumesAfterKillMinus9WithOneLinePerCustomIdAndNoJournaledItemSentAgain() throws Exception {
        try (StandInServer upstream = StandInServer.start("batch-kill").delay(Duration.ofMillis(40)).capacity(CONCURRENCY);
             HttpClient http = HttpClient.newHttpClient()) {
            Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                    server: { state-dir: "%s", access-log: false, batches: { concurrency: %d } }
                    models:
                      - { id: remote, engine: openai, endpoints: ["%s"] }
                    """.formatted(dir.resolve("state"), CONCURRENCY, upstream.baseUrl()));
            StringBuilder input = new StringBuilder();
            for (int i = 0; i < ITEMS; i++) {
                input.append("{\"custom_id\": \"k").append(i).append("\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\","
                        + " \"body\": {\"model\": \"remote\", \"messages\": [{\"role\": \"user\", \"content\": \"call ")
                        .append(i).append("\"}]}}\n");
            }
            Process first = serve(config, "first");
            String base = MeshProcess.awaitListening(first);
            String fileId = Json.parseObject(send(http, upload(base, input.toString())).getBytes(StandardCharsets.UTF_8))
                    .path("id").asText();
            String batchId = Json.parseObject(send(http, post(base + "/v1/batches", "{\"input_file_id\": \"" + fileId
                    + "\", \"endpoint\": \"/v1/chat/completions\", \"completion_window\": \"24h\"}"))
                    .getBytes(StandardCharsets.UTF_8)).path("id").asText();
            await(http, base, batchId, b -> b.path("request_counts").path("completed").asInt() >= ITEMS / 4);
            first.destroyForcibly();  // SIGKILL: no drain, no shutdown hook
            assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();
            Set<String> journaled = journaledIds(dir.resolve("state/batches/" + batchId + ".journal"));
            assertThat(journaled.size()).as("killed mid-batch").isBetween(ITEMS / 4, ITEMS - 1);

            Process second = serve(config, "second");
            try {
                String again = MeshProcess.awaitListening(second);
                JsonNode done = await(http, again, batchId, b -> b.path("status").asText().equals("completed"));
                assertThat(done.path("request_counts").path("completed").asInt()).isEqualTo(ITEMS);
                String output = send(http, HttpRequest.newBuilder(URI.create(again + "/v1/files/"
                        + done.path("output_file_id").asText() + "/content")).build());
                List<String> ids = new ArrayList<>();
                for (String line : output.split("\n")) {
                    ids.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8)).path("custom_id").asText());
                }
                assertThat(ids).as("one line per custom_id").hasSize(ITEMS).doesNotHaveDuplicates();
                assertThat(done.path("error_file_id").isNull()).isTrue();

                Map<String, Integer> received = new HashMap<>();
                upstream.recorded().stream().filter(r -> r.path().endsWith("/chat/completions")).forEach(r ->
                        received.merge(r.headers().getOrDefault("x-request-id", "?").replaceFirst("^batch_[0-9a-f]+:", ""), 1,
                                Integer::sum));
                assertThat(received.keySet()).hasSize(ITEMS);
                for (String id : journaled) {
                    assertThat(received.get(id)).as("item %s, journaled before the kill, sent once", id).isEqualTo(1);
                }
                long twice = received.values().stream().filter(n -> n > 1).count();
                assertThat(twice).as("only items in flight at the kill are sent again").isLessThanOrEqualTo(CONCURRENCY);
            } finally {
                second.destroyForcibly();
                second.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    private Process serve(Path config, String name) throws Exception {
        return new ProcessBuilder(MeshProcess.command("serve", "--config", config.toString(), "--port", "0"))
                .redirectError(dir.resolve(name + "-stderr.txt").toFile()).start();
    }

    private static Set<String> journaledIds(Path journal) throws Exception {
        Set<String> ids = new HashSet<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + journal);
             ResultSet r = c.createStatement().executeQuery("SELECT custom_id FROM items WHERE state = 'done'")) {
            while (r.next()) {
                ids.add(r.getString(1));
            }
        }
        return ids;
    }

    private static JsonNode await(HttpClient http, String base, String id, Predicate<JsonNode> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        JsonNode batch;
        do {
            batch = Json.parseObject(send(http, HttpRequest.newBuilder(URI.create(base + "/v1/batches/" + id)).build())
                    .getBytes(StandardCharsets.UTF_8));
            if (until.test(batch)) {
                return batch;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the batch did not reach the awaited state: " + batch);
    }

    private static HttpRequest post(String url, String json) {
        return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    private static HttpRequest upload(String base, String content) {
        String form = "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--b\r\nContent-Disposition: form-data;"
                + " name=\"file\"; filename=\"calls.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n" + content + "\r\n--b--\r\n";
        return HttpRequest.newBuilder(URI.create(base + "/v1/files")).header("Content-Type", "multipart/form-data; boundary=b")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build();
    }

    private static String send(HttpClient http, HttpRequest request) throws Exception {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }
}
