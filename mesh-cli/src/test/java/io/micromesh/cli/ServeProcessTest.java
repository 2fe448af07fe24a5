package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
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
        try (StandInServer upstream = StandInServer.start("slow").delay(Duration.ofMillis(1500))) {
            Path config = dir.resolve("mesh.yaml");
            Files.writeString(config, """
                    models:
                      - id: remote
                        engine: openai
                        endpoints: ["%s"]
                    """.formatted(upstream.baseUrl()));
            Process mesh = new ProcessBuilder(MeshProcess.command("serve", "--config", config.toString(), "--port", "0"))
                    .redirectError(dir.resolve("stderr.txt").toFile())
                    .start();
            try {
                String url = MeshProcess.awaitListening(mesh);
                HttpClient http = HttpClient.newHttpClient();
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
            } finally {
                mesh.destroyForcibly();
            }
        }
    }
}
