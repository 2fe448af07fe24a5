package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.testkit.StandInServer;
import io.micromesh.testkit.StandInServer.Mode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a client of the gateway sees when the servers behind a model fail. */
class GatewayResilienceTest {

    private StandInServer a;
    private StandInServer b;
    private TestGateway mesh;

    @BeforeEach
    void start() {
        a = StandInServer.start("a");
        b = StandInServer.start("b");
        mesh = new TestGateway("""
                models:
                  - id: remote
                    engine: openai
                    endpoints: ["%s", "%s"]
                    eject-after-failures: 2
                    eject-for-ms: 30000
                    timeout-ms: 2000
                """.formatted(a.baseUrl(), b.baseUrl()));
    }

    @AfterEach
    void stop() {
        mesh.close();
        a.close();
        b.close();
    }

    @Test
    void fallsBackToTheOtherReplicaWhenOneIsDown() {
        a.refuseConnections();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = mesh.post("/v1/chat/completions", TestGateway.chat("remote", false));
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-mesh-model")).hasValue("remote");
        }
        assertThat(b.generationRequests()).isEqualTo(5);
    }

    @Test
    void anEjectedReplicaGetsNoTrafficUntilItsProbeSucceeds() {
        a.mode(Mode.ERROR_500);
        for (int i = 0; i < 4; i++) {
            assertThat(mesh.post("/v1/chat/completions", TestGateway.chat("remote", false)).statusCode()).isEqualTo(200);
        }
        int failures = a.generationRequests();
        assertThat(failures).isEqualTo(2);
        JsonNode models = TestGateway.json(mesh.get("/v1/models"));
        assertThat(models.path("data").get(0).path("mesh").path("status").asText()).isEqualTo("degraded");

        a.mode(Mode.NORMAL);
        for (int i = 0; i < 6; i++) {
            mesh.post("/v1/chat/completions", TestGateway.chat("remote", false));
        }
        assertThat(a.generationRequests()).isEqualTo(failures);
        assertThat(a.probes()).isZero();

        mesh.clock.advance(Duration.ofSeconds(30));
        for (int i = 0; i < 6; i++) {
            mesh.post("/v1/chat/completions", TestGateway.chat("remote", false));
        }
        assertThat(a.probes()).isEqualTo(1);
        assertThat(a.generationRequests()).isGreaterThan(failures);
    }

    @Test
    void withNoHealthyReplicaTheClientGetsACleanServiceUnavailable() {
        a.refuseConnections();
        b.refuseConnections();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = mesh.post("/v1/chat/completions", TestGateway.chat("remote", false));
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(TestGateway.json(response).path("error").path("code").asText()).isEqualTo("backend_unavailable");
            assertThat(response.headers().firstValue("Retry-After")).isPresent();
        }
        HttpResponse<String> ready = mesh.get("/health/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(TestGateway.json(ready).path("models").path("remote").path("state").asText()).isEqualTo("down");
    }

    @Test
    void anUpstreamThatDoesNotAnswerGivesGatewayTimeout() {
        a.mode(Mode.HANG);
        b.mode(Mode.HANG);
        HttpResponse<String> response = mesh.post("/v1/chat/completions", TestGateway.chat("remote", false));
        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(TestGateway.json(response).path("error").path("code").asText()).isEqualTo("upstream_timeout");
    }

    /** The client learns which model failed and how; the upstream's own words and address go to the log only. */
    @Test
    void upstreamsThatFailGiveBadGateway() {
        a.mode(Mode.ERROR_500);
        b.mode(Mode.TRACEBACK_500);
        HttpResponse<String> response = mesh.post("/v1/chat/completions", TestGateway.chat("remote", false));
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(TestGateway.json(response).path("error").path("code").asText()).isEqualTo("upstream_error");
        assertThat(TestGateway.json(response).path("error").path("message").asText())
                .startsWith("model 'remote' answered HTTP 500")
                .doesNotContain("failed on purpose", "Traceback", "127.0.0.1");
    }

    @Test
    void anUpstreamAnsweringGarbageGivesBadGatewayWithoutQuotingIt() {
        a.mode(Mode.GARBAGE);
        b.mode(Mode.GARBAGE);
        HttpResponse<String> response = mesh.post("/v1/chat/completions", TestGateway.chat("remote", false));
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(TestGateway.json(response).path("error").path("code").asText()).isEqualTo("upstream_bad_response");
        assertThat(response.body()).doesNotContain("Traceback", "/srv", "127.0.0.1");
    }

    @Test
    void anAnswerCutShortOfItsContentLengthIsABrokenConnectionAndTheNextRequestIsServed() {
        a.mode(Mode.CUT_ANSWER);
        b.mode(Mode.CUT_ANSWER);
        HttpResponse<String> cut = mesh.post("/v1/chat/completions", TestGateway.chat("remote", false));
        assertThat(cut.statusCode()).isEqualTo(503);
        assertThat(TestGateway.json(cut).path("error").path("message").asText()).contains("broke the connection while answering");
        assertThat(cut.body()).doesNotContain("chat.completion\"", "127.0.0.1");
        a.mode(Mode.NORMAL);
        b.mode(Mode.NORMAL);
        HttpResponse<String> whole = mesh.post("/v1/chat/completions", TestGateway.chat("remote", false));
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(TestGateway.json(whole).path("choices").path(0).path("message").path("content").asText()).isNotEmpty();
    }

    @Test
    void streamsServerSentEventsEndingInDone() throws Exception {
        List<String> lines = lines(mesh.postStreaming("/v1/chat/completions", TestGateway.chat("remote", true)).body());
        List<String> data = lines.stream().filter(l -> l.startsWith("data: ")).toList();
        assertThat(data.getLast()).isEqualTo("data: [DONE]");
        assertThat(data.getFirst()).contains("\"model\":\"remote\"").contains("chat.completion.chunk");
    }

    @Test
    void aStreamCutHalfwayEndsWithAnErrorEventAndNoDone() throws Exception {
        // chunks spaced out, as a real model emits them: the JDK client may drop data that arrives
        // in the same read as the connection's end
        a.mode(Mode.CUT_STREAM).chunkInterval(Duration.ofMillis(50));
        b.mode(Mode.CUT_STREAM).chunkInterval(Duration.ofMillis(50));
        HttpResponse<InputStream> response = mesh.postStreaming("/v1/chat/completions", TestGateway.chat("remote", true));
        List<String> all = lines(response.body());
        assertThat(response.statusCode()).as(String.join("\n", all)).isEqualTo(200);
        List<String> data = all.stream().filter(l -> l.startsWith("data: ")).toList();
        assertThat(data.getLast()).contains("\"error\"").contains("upstream_broken_stream");
        assertThat(data).doesNotContain("data: [DONE]");
    }

    @Test
    void aClientThatDisconnectsMidStreamClosesTheUpstreamConnection() throws Exception {
        // the server must not log the client's leaving as a failure (it did, once per stream: "cannot send
        // error response", from flushing the stream's end into the dead connection)
        List<java.util.logging.LogRecord> serverWarnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (record.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()
                        && record.getLoggerName() != null && record.getLoggerName().startsWith("io.helidon")) {
                    serverWarnings.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger.getLogger("").addHandler(capture);
        try {
            disconnectMidStream();
            long drained = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (mesh.gateway.inFlight() > 0 && System.nanoTime() < drained) {
                Thread.sleep(20);
            }
            Thread.sleep(200);
            assertThat(serverWarnings).extracting(java.util.logging.LogRecord::getMessage).isEmpty();
        } finally {
            java.util.logging.Logger.getLogger("").removeHandler(capture);
        }
    }

    private void disconnectMidStream() throws Exception {
        a.streamChunks(500).chunkInterval(Duration.ofMillis(10)).reply("y".repeat(500));
        b.streamChunks(500).chunkInterval(Duration.ofMillis(10)).reply("y".repeat(500));
        HttpResponse<InputStream> response = mesh.postStreaming("/v1/chat/completions", TestGateway.chat("remote", true));
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            assertThat(reader.readLine()).startsWith("data: ");
        }
        mesh.http.close();  // closes the client's connection to the gateway
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        // the stand-in counts the abandoned stream before its connection handler has finished
        // closing the socket, so wait for both
        while ((a.abandonedStreams() + b.abandonedStreams() == 0 || a.openConnections() + b.openConnections() > 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(a.abandonedStreams() + b.abandonedStreams()).isEqualTo(1);
        assertThat(a.openConnections() + b.openConnections()).isZero();
    }

    private static List<String> lines(InputStream body) throws Exception {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            return reader.lines().toList();
        }
    }
}
