package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 16: what a client sends below the OpenAI API, on a raw socket: every answer is one
 * OpenAI-shaped JSON error (or the resource), an answer given without reading the body closes the
 * connection, and a request hidden in an unread body is never answered.
 */
class HttpAbuseTest {

    private TestGateway mesh;

    @BeforeEach
    void start() {
        mesh = new TestGateway("""
                server: { max-body-bytes: 65536 }
                models:
                  - { id: enc, engine: onnx }
                """);
    }

    @AfterEach
    void stop() {
        mesh.close();
    }

    /** What came back: every response on the connection, and whether the server closed it. */
    private record Exchange(List<String> heads, List<String> bodies, boolean closed) {
    }

    private Exchange send(byte[] request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", mesh.gateway.port())) {
            socket.setSoTimeout(3_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            boolean closed;
            InputStream in = socket.getInputStream();
            try {
                in.transferTo(received);
                closed = true;
            } catch (SocketTimeoutException e) {
                closed = false;
            }
            return parse(received.toString(StandardCharsets.ISO_8859_1), closed);
        }
    }

    private static final Pattern LENGTH = Pattern.compile("(?im)^content-length: *(\\d+)");

    private static Exchange parse(String raw, boolean closed) {
        List<String> heads = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        String rest = raw;
        while (rest.startsWith("HTTP/")) {
            int end = rest.indexOf("\r\n\r\n");
            String head = rest.substring(0, end);
            Matcher length = LENGTH.matcher(head);
            int n = length.find() ? Integer.parseInt(length.group(1)) : 0;
            boolean head204 = head.startsWith("HTTP/1.1 204");
            n = head204 ? 0 : Math.min(n, rest.length() - end - 4);
            heads.add(head);
            bodies.add(rest.substring(end + 4, end + 4 + n));
            rest = rest.substring(end + 4 + n);
        }
        return new Exchange(heads, bodies, closed);
    }

    private static String request(String method, String path, String headers, String body) {
        return method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n" + body;
    }

    private static void assertOneJsonError(Exchange exchange, int status, String code) {
        assertThat(exchange.heads()).as("responses").hasSize(1);
        assertThat(exchange.heads().getFirst()).startsWith("HTTP/1.1 " + status);
        JsonNode error = Json.parseObject(exchange.bodies().getFirst().getBytes(StandardCharsets.ISO_8859_1)).path("error");
        assertThat(error.path("message").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("io.helidon");
        assertThat(error.path("code").asText()).isEqualTo(code);
        assertThat(error.has("type")).isTrue();
        assertThat(error.has("param")).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Connection: close\r\n", ""})
    void aRequestHiddenInAnUnreadBodyIsNeverAnswered(String connection) throws Exception {
        String hidden = "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n";
        for (String front : List.of("POST /nope", "POST /v1/models", "POST /v1/chat/completions")) {
            String[] line = front.split(" ");
            String headers = connection + "Content-Type: " + (line[1].equals("/v1/chat/completions") ? "text/plain" : "application/json")
                    + "\r\nContent-Length: " + hidden.length() + "\r\n";
            Exchange exchange = send(request(line[0], line[1], headers, hidden).getBytes(StandardCharsets.US_ASCII));
            assertThat(exchange.heads()).as(front).hasSize(1);
            assertThat(exchange.heads().getFirst()).as(front).doesNotStartWith("HTTP/1.1 200");
            if (!line[1].equals("/v1/chat/completions") || !connection.isEmpty()) {
                // an answer given without reading the body ends the connection; a body read in full (and refused as
                // not JSON) leaves a kept-alive connection clean for the next request
                assertThat(exchange.closed()).as(front + ": closed after the answer").isTrue();
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aBodyOverTheLimitIsRefusedWithoutReadingItAndTheConnectionCloses() throws Exception {
        Exchange exchange = send(request("POST", "/v1/embeddings", "Content-Type: application/json\r\n"
                + "Content-Length: 99999999999\r\n", "{\"model\": \"enc\"").getBytes(StandardCharsets.US_ASCII));
        assertOneJsonError(exchange, 413, "request_too_large");
        assertThat(exchange.heads().getFirst()).containsIgnoringCase("connection: close");
        assertThat(exchange.closed()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "not a request line; GARBAGE\\r\\n\\r\\n; 400; invalid_request",
            "HTTP/0.9; GET /v1/models HTTP/0.9\\r\\nHost: x\\r\\n\\r\\n; 400; invalid_request",
            "HTTP/2 without upgrade; GET /v1/models HTTP/2.0\\r\\nHost: x\\r\\n\\r\\n; 400; invalid_request",
            "a chunk size that is not hex; POST /v1/embeddings HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\nabc\\r\\n0\\r\\n\\r\\n; 400; invalid_value",
            "a negative chunk size; POST /v1/embeddings HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n-5\\r\\nabc\\r\\n0\\r\\n\\r\\n; 400; invalid_value",
            "a body and two lengths; POST /v1/embeddings HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n{}; 400; invalid_request",
            "an unknown method; BREW /v1/models HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n; 405; method_not_allowed",
            "a known path with another method; DELETE /v1/embeddings HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n; 405; method_not_allowed",
            "an unknown path; GET /v2/models HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n; 404; not_found",
            "an unsupported content encoding; POST /v1/embeddings HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Encoding: br\\r\\nContent-Length: 2\\r\\n\\r\\n{}; 400; invalid_request",
    })
    void whatTheHttpLayerRefusesIsAnOpenAiShapedError(String what, String raw, int status, String code) throws Exception {
        Exchange exchange = send(raw.replace("\\r\\n", "\r\n").getBytes(StandardCharsets.US_ASCII));
        assertOneJsonError(exchange, status, code);
    }

    @org.junit.jupiter.api.Test
    void headAnswersHeadersWithoutABody() throws Exception {
        Exchange models = send(request("HEAD", "/v1/models", "Connection: close\r\n", "").getBytes(StandardCharsets.US_ASCII));
        assertThat(models.heads().getFirst()).startsWith("HTTP/1.1 200").containsIgnoringCase("content-type: application/json");
        assertThat(models.bodies().getFirst()).isEmpty();
        Exchange missing = send(request("HEAD", "/v1/models/nope", "Connection: close\r\n", "").getBytes(StandardCharsets.US_ASCII));
        assertThat(missing.heads().getFirst()).startsWith("HTTP/1.1 404");
        assertThat(missing.bodies().getFirst()).isEmpty();
    }
}
