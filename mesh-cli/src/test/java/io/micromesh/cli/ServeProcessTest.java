package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mesh serve} as a real process: it listens, serves, and on SIGTERM drains before it exits. */
class ServeProcessTest {


    @Test
    void sigtermLetsTheRequestInFlightFinishThenExitsCleanly(@TempDir Path dir) throws Exception {
        try (StandInServer upstream = StandInServer.start("slow").delay(Duration.ofMillis(1500));
             StandInServer quick = StandInServer.start("quick")) {
            Path config = dir.resolve("mesh.yaml");
            Files.writeString(config, """
                    server: { state-dir: "%s", log-format: json }
                    models:
                      - id: remote
                        engine: openai
                        endpoints: ["%s"]
                      - id: quick
                        engine: openai
                        endpoints: ["%s"]
                    """.formatted(dir.resolve("state"), upstream.baseUrl(), quick.baseUrl()));
            Process mesh = new ProcessBuilder(MeshProcess.command("serve", "--config", config.toString(), "--port", "0"))
                    .redirectError(dir.resolve("stderr.txt").toFile())
                    .start();
            try {
                String url = MeshProcess.awaitListening(mesh);
                HttpClient http = HttpClient.newHttpClient();
                // 300 answered requests whose usage records are still queued for the ledger when SIGTERM comes
                for (int wave = 0; wave < 6; wave++) {  // 50 at a time: within the replica's queue
                    List<CompletableFuture<HttpResponse<String>>> answered = new java.util.ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        answered.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"model\":\"quick\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                                .build(), HttpResponse.BodyHandlers.ofString()));
                    }
                    for (CompletableFuture<HttpResponse<String>> answer : answered) {
                        assertThat(answer.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
                    }
                }
                HttpRequest chat = HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                        .timeout(Duration.ofSeconds(20))
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\":\"remote\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build();
                CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(chat, HttpResponse.BodyHandlers.ofString());
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (upstream.generationRequests() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                mesh.destroy();  // SIGTERM
                assertThat(inFlight.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
                assertThat(mesh.waitFor(20, TimeUnit.SECONDS)).isTrue();
                // the JVM reports a stop by SIGTERM as 128 + 15, even after a clean drain
                assertThat(mesh.exitValue()).isEqualTo(143);
                assertThat(Files.readString(dir.resolve("stderr.txt"))).contains("draining (1 requests in flight)")
                        .contains("mesh: stopped");
                // server.log-format: json: every log line is one JSON object; the access log's have fields
                List<String> logLines = Files.readAllLines(dir.resolve("stderr.txt")).stream()
                        .filter(line -> line.matches("^\\d{4}-\\d\\d-\\d\\dT.*") || line.startsWith("{")).toList();
                assertThat(logLines).isNotEmpty().allSatisfy(line -> assertThat(line).startsWith("{"));
                List<com.fasterxml.jackson.databind.JsonNode> records = logLines.stream()
                        .map(line -> (com.fasterxml.jackson.databind.JsonNode) io.micromesh.api.Json.parseObject(
                                line.getBytes(java.nio.charset.StandardCharsets.UTF_8))).toList();
                assertThat(records).allSatisfy(r -> assertThat(r.path("time").isTextual() && r.path("level").isTextual()
                        && r.path("logger").isTextual() && r.path("message").isTextual()).as(r.toString()).isTrue());
                assertThat(records).anySatisfy(r -> {
                    assertThat(r.path("logger").asText()).isEqualTo("io.micromesh.access");
                    assertThat(r.path("method").asText()).isEqualTo("POST");
                    assertThat(r.path("status").asInt()).isEqualTo(200);
                    assertThat(r.path("request_id").asText()).isNotBlank();
                });
                // the ledger wrote every record before the process exited: none lost on a clean shutdown
                try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("state/mesh.db"));
                     ResultSet rows = db.createStatement().executeQuery(
                             "SELECT model, COUNT(*) FROM usage_records GROUP BY model ORDER BY model")) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getString(1) + "=" + rows.getLong(2)).isEqualTo("quick=300");
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getString(1) + "=" + rows.getLong(2)).isEqualTo("remote=1");
                }
            } finally {
                mesh.destroyForcibly();
            }
        }
    }
}
