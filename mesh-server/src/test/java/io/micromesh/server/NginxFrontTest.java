package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micromesh.api.Json;
import io.micromesh.testkit.StandInServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: micromesh behind a real nginx with a default {@code proxy_pass}, which speaks HTTP/1.0
 * to its upstream: answers, streams and errors pass through. Skips where nginx is not installed
 * ({@code .ci/run} installs Debian's nginx-light).
 */
class NginxFrontTest {

    private static final Path NGINX = Path.of("/usr/sbin/nginx");

    @TempDir
    static Path dir;

    private static StandInServer upstream;
    private static TestGateway mesh;
    private static Process nginx;
    private static int port;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(NGINX), "nginx is not installed");
        upstream = StandInServer.start("remote").reply("through nginx");
        mesh = new TestGateway("""
                models:
                  - { id: remote, engine: openai, endpoints: ["%s"] }
                """.formatted(upstream.baseUrl()));
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        // a default proxy_pass: nginx sends HTTP/1.0 and Connection: close upstream
        Files.writeString(dir.resolve("nginx.conf"), """
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log;
                events { worker_connections 64; }
                http {
                  access_log off;
                  client_body_temp_path %1$s/body;
                  proxy_temp_path %1$s/proxy;
                  fastcgi_temp_path %1$s/fastcgi;
                  uwsgi_temp_path %1$s/uwsgi;
                  scgi_temp_path %1$s/scgi;
                  server {
                    listen 127.0.0.1:%2$d;
                    location / { proxy_pass http://127.0.0.1:%3$d; }
                  }
                }
                """.formatted(dir, port, mesh.gateway.port()));
        nginx = new ProcessBuilder(NGINX.toString(), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString(),
                "-g", "daemon off;").redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!accepts(port)) {
            assertThat(nginx.isAlive()).as("nginx runs: " + Files.readString(dir.resolve("nginx.out"))).isTrue();
            assertThat(System.nanoTime()).as("nginx listens within 20 s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static boolean accepts(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.destroy();
            nginx.waitFor(10, TimeUnit.SECONDS);
        }
        if (mesh != null) {
            mesh.close();
            upstream.close();
        }
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anAnswerPassesThrough() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions",
                "{\"model\":\"remote\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Json.parseObject(response.body().getBytes()).path("choices").get(0).path("message").path("content")
                .asText()).isEqualTo("through nginx");
    }

    @Test
    void aStreamPassesThroughToItsEnd() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions",
                "{\"model\":\"remote\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("chat.completion.chunk").endsWith("data: [DONE]\n\n");
    }

    @Test
    void anErrorPassesThroughAsOpenAiShapedJson() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", "{\"model\":\"absent\",\"messages\":[]}");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Json.parseObject(response.body().getBytes()).path("error").path("param").asText()).isNotBlank();
    }
}
