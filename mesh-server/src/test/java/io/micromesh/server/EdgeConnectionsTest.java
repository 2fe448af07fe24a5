package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micromesh.api.Json;
import io.micromesh.testkit.StandInServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: a client cannot hold a connection by being slow or silent (each limit of one second
 * here, against a trickle that would last ten), a connection that is not HTTP closes at once, and
 * an HTTP/1.0 client is served.
 */
class EdgeConnectionsTest {

    private StandInServer upstream;
    private TestGateway mesh;

    @BeforeEach
    void start() {
        upstream = StandInServer.start("remote").reply("hello over one-oh");
        mesh = new TestGateway("""
                server: { idle-timeout-ms: 1000, header-timeout-ms: 1000, body-timeout-ms: 1000, max-body-bytes: 65536 }
                models:
                  - { id: remote, engine: openai, endpoints: ["%s"] }
                """.formatted(upstream.baseUrl()));
    }

    @AfterEach
    void stop() {
        mesh.close();
        upstream.close();
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", mesh.gateway.port());
        socket.setSoTimeout(15_000);  // far beyond every limit: a read that ends ends because the gateway closed
        return socket;
    }

    /** Sends one byte every 100 ms; true when the gateway closed the connection before all were sent. */
    private static boolean closedWhileTrickling(Socket socket, byte[] bytes) throws InterruptedException {
        try {
            OutputStream out = socket.getOutputStream();
            for (byte b : bytes) {
                out.write(b);
                out.flush();
                Thread.sleep(100);
            }
            return socket.getInputStream().read() == -1;
        } catch (IOException e) {
            return true;  // reset or broken pipe: closed
        }
    }

    @Test
    void aClientSendingItsHeadersAByteAtATimeIsCutOff() throws Exception {
        byte[] head = ("GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(60) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = connect()) {
            assertThat(closedWhileTrickling(socket, head)).isTrue();
        }
    }

    @Test
    void aClientSendingItsBodyAByteAtATimeIsCutOff() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                    + "\r\nContent-Length: 200\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(closedWhileTrickling(socket, " ".repeat(100).getBytes(StandardCharsets.US_ASCII))).isTrue();
        }
    }

    @Test
    void aSilentConnectionIsClosedAndAnIdleOneToo() throws Exception {
        try (Socket silent = connect()) {
            assertThat(silent.getInputStream().read()).as("closed without a byte sent").isEqualTo(-1);
        }
        try (Socket idle = connect()) {
            idle.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = readUntilClosed(idle.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void aTlsHandshakeOnThePlainPortIsClosedAtOnce() throws Exception {
        // a ClientHello's record header, then more than any limit would wait for
        byte[] hello = new byte[64];
        hello[0] = 0x16;
        hello[1] = 0x03;
        hello[2] = 0x01;
        try (Socket socket = connect()) {
            socket.getOutputStream().write(hello);
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void anHttp10ClientIsServedAndTheConnectionCloses() throws Exception {
        String body = "{\"model\":\"remote\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (Socket socket = connect()) {
            // no Host header: HTTP/1.0 does not require one
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            String answer = readUntilClosed(socket.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close");
            String json = answer.substring(answer.indexOf("\r\n\r\n") + 4);
            assertThat(Json.parseObject(json.getBytes(StandardCharsets.UTF_8)).path("choices").get(0).path("message")
                    .path("content").asText()).isEqualTo("hello over one-oh");
        }
    }

    @Test
    void aBodyOverTheLimitIsAnswered413ToAClientStillSendingIt() throws Exception {
        // the gateway answers from the Content-Length alone and closes; closing with the client's bytes
        // unread resets the connection, and the JDK's client, still writing the body, then failed on a
        // broken pipe ("header parser received no bytes") without reading the answer
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        byte[] body = new byte[300_000];
        Arrays.fill(body, (byte) 'x');
        for (int attempt = 0; attempt < 50; attempt++) {
            HttpResponse<String> tooLarge = client.send(HttpRequest.newBuilder(URI.create(mesh.url() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(tooLarge.statusCode()).as("attempt " + attempt).isEqualTo(413);
            assertThat(tooLarge.body()).contains("request_too_large");
        }
    }

    @Test
    void keptAliveConnectionsStillServeRequestAfterRequest() throws Exception {
        try (Socket socket = connect()) {
            for (int i = 0; i < 3; i++) {
                socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] head = new byte[12];
                assertThat(socket.getInputStream().readNBytes(head, 0, 12)).isEqualTo(12);
                assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
                drainAvailable(socket);
            }
        }
    }

    private static void drainAvailable(Socket socket) throws IOException, InterruptedException {
        Thread.sleep(100);
        InputStream in = socket.getInputStream();
        in.skipNBytes(in.available());
    }

    private static String readUntilClosed(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
}
