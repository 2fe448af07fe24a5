package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.micromesh.api.Json;
import io.micromesh.api.MultipartForm;
import io.micromesh.core.Portfolio;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.routing.Router;
import io.micromesh.engines.Engines;
import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import io.micromesh.engines.llamacpp.SupervisedWorker;
import io.micromesh.server.Gateway;
import io.micromesh.testkit.StandInServer;
import io.micromesh.testkit.StandInServer.Mode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: the bad-input and fault corpus ({@code src/test/resources/abuse/corpus.yaml}, its format
 * described at its top) against a real gateway: stand-in upstreams (one well, the others each
 * misbehaving in one way), an ONNX encoder and a llama.cpp engine worker on a tiny random GGUF.
 * Every case must get the documented answer, as one OpenAI-shaped error that leaks nothing
 * internal; the gateway must stay healthy after each, and the worker must never die.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AbuseCorpusTest {

    /** Internals a client must never read: Java classes, addresses of replicas, an upstream's own words. */
    private static final Pattern LEAK = Pattern.compile(
            "(?i)exception|io\\.helidon|com\\.fasterxml|java\\.(lang|io|net|util)\\.|127\\.0\\.0\\.1|traceback|/srv/|(?-i:StreamReadConstraints|DeserializationFeature|MultiPart)|`");

    @TempDir
    static Path dir;

    private static final List<StandInServer> UPSTREAMS = new ArrayList<>();
    private static ExecutorService background;
    private static Portfolio portfolio;
    private static Gateway gateway;
    private static long workerPid;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        Path tiny = dir.resolve("tiny.gguf");
        GgufWriter.writeRandomLlama(tiny, Shape.tiny(GgmlType.Q8_0), "tiny", 7);
        Map<String, StandInServer> up = new LinkedHashMap<>();
        up.put("remote", StandInServer.start("remote"));
        up.put("speech", StandInServer.start("speech").reply("the words"));
        up.put("garbage", StandInServer.start("garbage").mode(Mode.GARBAGE));
        up.put("crashing", StandInServer.start("crashing").mode(Mode.TRACEBACK_500));
        up.put("hang", StandInServer.start("hang").mode(Mode.HANG));
        up.put("trickle", StandInServer.start("trickle").mode(Mode.TRICKLE).chunkInterval(Duration.ofMillis(40)));
        up.put("reset", StandInServer.start("reset").mode(Mode.RESET));
        up.put("cut", StandInServer.start("cut").mode(Mode.CUT_STREAM).chunkInterval(Duration.ofMillis(20)));
        up.put("cutfirst", StandInServer.start("cutfirst").mode(Mode.CUT_BEFORE_FIRST_CHUNK));
        up.put("closing", StandInServer.start("closing").closeDelimitedStreams(true));
        up.put("busy", StandInServer.start("busy").mode(Mode.TOO_MANY_REQUESTS));
        StandInServer refusing = StandInServer.start("refusing");
        refusing.refuseConnections();
        up.put("refusing", refusing);
        UPSTREAMS.addAll(up.values());
        StringBuilder models = new StringBuilder();
        up.forEach((id, server) -> models.append("  - { id: ").append(id).append(", engine: openai, endpoints: [\"")
                .append(server.baseUrl()).append("\"], eject-after-failures: 1000, timeout-ms: ")
                // the faulty stand-ins fail fast; the good one has room for a loaded 2-core machine (the
                // fallback cases failed once when its answer took over 400 ms during a full build)
                .append(id.equals("trickle") ? 5000 : id.equals("remote") ? 10_000 : 400)
                .append(", deadline-ms: ").append(id.equals("remote") ? 20_000 : 1000)
                .append(id.equals("speech") ? ", capabilities: [transcription]" : "").append(" }\n"));
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { access-log: false, max-body-bytes: 262144 }
                models:
                %s  - { id: tiny, engine: llamacpp, file: "%s", slots: 2, context: 512 }
                  - { id: enc, engine: onnx }
                routes:
                  - { name: chain, policy: fallback, candidates: [remote] }
                  - { name: past-garbage, policy: fallback, candidates: [garbage, remote] }
                  - { name: past-reset, policy: fallback, candidates: [reset, remote] }
                  - { name: past-crash, policy: fallback, candidates: [crashing, remote] }
                  - { name: past-hang, policy: fallback, candidates: [hang, remote] }
                """.formatted(models, tiny)).withPort(0);
        background = Executors.newVirtualThreadPerTaskExecutor();
        portfolio = Engines.open(config, Clock.systemUTC(), background, ServeCommand.workerCommand());
        gateway = Gateway.start(config.server(), portfolio, Router.over(config.routes(), portfolio), Clock.systemUTC());
        SupervisedWorker worker = worker();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (worker.health().state() != io.micromesh.core.spi.BackendHealth.State.READY) {
            assertThat(System.nanoTime()).as("the worker starts: " + worker.health().detail()).isLessThan(deadline);
            Thread.sleep(50);
        }
        workerPid = worker.pid();
    }

    private static SupervisedWorker worker() {
        return (SupervisedWorker) portfolio.model("tiny").orElseThrow().backend();
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
            portfolio.close();
        }
        UPSTREAMS.forEach(StandInServer::close);
        if (background != null) {
            background.shutdownNow();
        }
    }

    /** What one case expects. */
    private record Expected(int status, String code, String param, boolean checkParam) {
    }

    @TestFactory
    @Order(1)
    Stream<DynamicTest> corpus() throws IOException {
        JsonNode corpus;
        try (InputStream in = AbuseCorpusTest.class.getResourceAsStream("/abuse/corpus.yaml")) {
            corpus = new ObjectMapper(new YAMLFactory()).readTree(in);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode group : corpus.path("fields")) {
            String endpoint = group.path("endpoint").asText();
            for (JsonNode field : group.path("cases")) {
                String path = field.path("set").asText();
                for (JsonNode value : field.path("values")) {
                    ObjectNode body = group.path("base").deepCopy();
                    set(body, path, value);
                    Expected expected = expected(field, path);
                    tests.add(test(endpoint + " " + path + " = " + clip(value.toString()),
                            () -> checkHttp(post(endpoint, Json.bytes(body), "application/json"), expected)));
                }
            }
        }
        for (JsonNode c : corpus.path("bodies")) {
            tests.add(test("body: " + c.path("name").asText(), () -> checkHttp(body(c), expected(c, null))));
        }
        for (JsonNode c : corpus.path("forms")) {
            tests.add(test("form: " + c.path("name").asText(), () -> checkHttp(form(c), expected(c, null))));
        }
        for (JsonNode c : corpus.path("raw")) {
            tests.add(test("raw: " + c.path("name").asText(), () -> raw(c)));
        }
        for (JsonNode c : corpus.path("faults")) {
            tests.add(test("fault: " + c.path("name").asText(), () -> fault(c)));
        }
        assertThat(tests).as("the corpus holds at least 300 cases").hasSizeGreaterThanOrEqualTo(300);
        return tests.stream();
    }

    @Test
    @Order(2)
    void theModelListNamesNoInternalAddress() throws Exception {
        HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/v1/models"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(models.statusCode()).isEqualTo(200);
        assertThat(models.body()).contains("engine worker pid");
        assertThat(LEAK.matcher(models.body()).find()).as(models.body()).isFalse();
    }

    @Test
    @Order(3)
    void theWorkerNeverDiedOfTheCorpus() {
        assertThat(worker().pid()).as("the same worker process").isEqualTo(workerPid);
        assertThat(worker().restarts()).isZero();
    }

    private interface Check {
        void run() throws Exception;
    }

    private static DynamicTest test(String name, Check check) {
        return DynamicTest.dynamicTest(name, () -> assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try {
                check.run();
            } catch (AssertionError e) {
                throw new AssertionError(name + ": " + e.getMessage(), e);  // reports do not keep a dynamic test's name
            }
            HttpResponse<String> live = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/health/live"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(live.statusCode()).as("healthy after the case").isEqualTo(200);
        }));
    }

    private static Expected expected(JsonNode c, String setPath) {
        int status = c.path("status").asInt(400);
        String code = c.path("code").isTextual() ? c.path("code").asText() : null;
        boolean explicit = c.has("param");
        String param = explicit ? (c.get("param").isNull() ? null : c.get("param").asText()) : setPath;
        boolean checkParam = status < 500 && status >= 400 && (explicit ? !c.get("param").isNull() : setPath != null)
                && status != 404 && status != 413 && status != 415;
        return new Expected(status, code, param, checkParam);
    }

    private static void checkHttp(HttpResponse<String> response, Expected expected) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(expected.status());
        assertThat(response.statusCode()).as("never a bug").isNotEqualTo(500);
        if (response.statusCode() >= 400) {
            openAiError(response.body(), expected);
        }
    }

    private static void openAiError(String body, Expected expected) {
        JsonNode error = Json.parseObject(body.getBytes(StandardCharsets.UTF_8)).path("error");
        assertThat(error.path("message").asText()).as(body).isNotBlank();
        assertThat(error.has("type") && error.has("param") && error.has("code")).as(body).isTrue();
        Matcher leak = LEAK.matcher(body);
        assertThat(leak.find()).as("leaks " + (leak.hitEnd() ? "" : leak.group()) + ": " + body).isFalse();
        assertThat(body.length()).as("a short message").isLessThan(2_000);
        if (expected.code() != null) {
            assertThat(error.path("code").asText()).as(body).isEqualTo(expected.code());
        }
        if (expected.checkParam()) {
            assertThat(error.path("param").asText()).as(body).isEqualTo(expected.param());
        }
    }

    // ---- requests

    private static String url() {
        return "http://127.0.0.1:" + gateway.port();
    }

    private static HttpResponse<String> post(String path, byte[] body, String contentType) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> body(JsonNode c) throws Exception {
        String endpoint = expand(c.path("endpoint").asText());
        if (c.path("get").asBoolean()) {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url() + endpoint)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
        byte[] bytes;
        if (c.has("text")) {
            bytes = c.get("text").asText().getBytes(StandardCharsets.UTF_8);
        } else if (c.has("hex")) {
            bytes = HexFormat.of().parseHex(c.get("hex").asText());
        } else if (c.has("utf16")) {
            byte[] text = c.get("utf16").asText().getBytes(StandardCharsets.UTF_16LE);
            bytes = new byte[text.length + 2];
            bytes[0] = (byte) 0xff;
            bytes[1] = (byte) 0xfe;
            System.arraycopy(text, 0, bytes, 2, text.length);
        } else if (c.has("utf16be")) {
            bytes = c.get("utf16be").asText().getBytes(StandardCharsets.UTF_16BE);
        } else if (c.has("deep")) {
            int depth = c.get("deep").asInt();
            bytes = ("{\"model\":\"remote\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"metadata\":"
                    + "[".repeat(depth) + "]".repeat(depth) + "}").getBytes(StandardCharsets.UTF_8);
        } else if (c.has("big")) {
            bytes = ("{\"model\":\"remote\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(c.get("big").asInt())
                    + "\"}]}").getBytes(StandardCharsets.UTF_8);
        } else {
            bytes = Json.bytes(c.get("body"));
        }
        return post(endpoint, bytes, c.path("contentType").asText("application/json"));
    }

    private static HttpResponse<String> form(JsonNode c) throws Exception {
        String path = "/v1/audio/transcriptions";
        if (c.has("json")) {
            return post(path, Json.bytes(c.get("json")), "application/json");
        }
        if (c.path("unterminated").asBoolean()) {
            String boundary = "b0undary";
            String open = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nspeech\r\n--" + boundary
                    + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\nRIFF....";
            return post(path, open.getBytes(StandardCharsets.ISO_8859_1), "multipart/form-data; boundary=" + boundary);
        }
        MultipartForm form = new MultipartForm();
        for (JsonNode part : c.path("parts")) {
            String name = part.path("name").asText();
            if (part.has("wav")) {
                form.file(name, "audio.wav", "audio/wav", wav(part.get("wav")));
            } else if (name.equals("file")) {
                form.file(name, "audio.wav", "audio/wav", part.path("value").asText().getBytes(StandardCharsets.UTF_8));
            } else {
                form.field(name, part.path("value").asText());
            }
        }
        return post(path, form.bytes(), form.contentType());
    }

    /**
     * A 16-bit mono PCM WAV whose header declares {@code rate} and {@code seconds}; its data is a quiet
     * tone, cut to {@code truncate} bytes when given (a header that claims more than the file holds).
     */
    private static byte[] wav(JsonNode spec) {
        int rate = spec.path("rate").asInt();
        long declared = (long) rate * spec.path("seconds").asInt() * 2;
        int sent = (int) Math.min(declared, spec.path("truncate").asLong(declared));
        ByteBuffer wav = ByteBuffer.allocate(44 + sent).order(ByteOrder.LITTLE_ENDIAN);
        wav.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt((int) Math.min(Integer.MAX_VALUE, 36 + declared))
                .put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes(StandardCharsets.US_ASCII)).putInt((int) Math.min(Integer.MAX_VALUE, declared));
        for (int i = 0; i < sent / 2; i++) {
            wav.putShort((short) (800 * Math.sin(i * 2 * Math.PI * 440 / Math.max(1, rate))));
        }
        return wav.array();
    }

    private static void raw(JsonNode c) throws Exception {
        byte[] request = c.has("hex") ? HexFormat.of().parseHex(c.get("hex").asText())
                : expand(c.path("send").asText()).getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        boolean closed;
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            try {
                socket.getInputStream().transferTo(received);
                closed = true;
            } catch (SocketTimeoutException e) {
                closed = false;
            } catch (IOException e) {
                closed = true;  // reset
            }
        }
        String answer = received.toString(StandardCharsets.ISO_8859_1);
        String interim = "HTTP/1.1 100 Continue\r\n\r\n";
        if (answer.startsWith(interim)) {
            answer = answer.substring(interim.length());  // Expect: 100-continue, then the answer
        }
        if (c.path("closed").asBoolean()) {
            assertThat(answer).as("no answer, the connection closed").isEmpty();
            assertThat(closed).isTrue();
            return;
        }
        assertThat(answer).as(answer).startsWith("HTTP/1.1 " + c.path("status").asInt() + " ");
        int heads = answer.split("HTTP/1\\.1 \\d{3} ", -1).length - 1;
        if (c.has("responses")) {
            assertThat(heads).as("responses: " + answer).isEqualTo(c.get("responses").asInt());
        }
        int bodyAt = answer.indexOf("\r\n\r\n");
        int status = c.path("status").asInt();
        if (status >= 400 && !c.path("send").asText().startsWith("HEAD")) {
            String rest = answer.substring(bodyAt + 4);
            int end = rest.indexOf("HTTP/1.1 ");
            openAiError(end < 0 ? rest : rest.substring(0, end), new Expected(status, null, null, false));
        }
    }

    private static void fault(JsonNode c) throws Exception {
        boolean stream = c.path("stream").asBoolean();
        String endpoint = c.path("endpoint").asText("/v1/chat/completions");
        ObjectNode body = Json.object().put("model", c.path("model").asText());
        switch (endpoint) {
            case "/v1/completions" -> body.put("prompt", "hi");
            case "/v1/embeddings" -> body.put("input", "hi");
            default -> body.putArray("messages").addObject().put("role", "user").put("content", "hi");
        }
        if (stream) {
            body.put("stream", true);
        }
        HttpResponse<String> response = post(endpoint, Json.bytes(body), "application/json");
        checkHttp(response, expected(c, null));
        if (c.path("done").asBoolean()) {
            assertThat(response.body()).as(response.body()).endsWith("data: [DONE]\n\n");
        }
        if (c.has("streamError")) {
            assertThat(response.body()).as(response.body()).contains("\"code\":\"" + c.get("streamError").asText() + "\"");
            assertThat(LEAK.matcher(response.body()).find()).as(response.body()).isFalse();
        }
    }

    // ---- corpus helpers

    /** Sets (or with {@code $delete} removes) the value at a path such as {@code messages[0].content}. */
    private static void set(ObjectNode root, String path, JsonNode value) {
        List<Object> steps = new ArrayList<>();
        Matcher m = Pattern.compile("([^.\\[\\]]+)|\\[(\\d+)]").matcher(path);
        while (m.find()) {
            steps.add(m.group(1) != null ? m.group(1) : (Object) Integer.parseInt(m.group(2)));
        }
        JsonNode node = root;
        for (int i = 0; i < steps.size() - 1; i++) {
            Object step = steps.get(i);
            JsonNode next = step instanceof Integer index ? node.get(index) : node.get((String) step);
            node = next != null ? next : ((ObjectNode) node).putObject((String) step);  // a missing object is made
        }
        Object last = steps.getLast();
        boolean delete = value.isTextual() && value.asText().equals("$delete");
        if (last instanceof Integer index) {
            ArrayNode array = (ArrayNode) node;
            if (delete) {
                array.remove(index);
            } else {
                array.set(index, value);
            }
        } else if (delete) {
            ((ObjectNode) node).remove((String) last);
        } else {
            ((ObjectNode) node).set((String) last, value);
        }
    }

    /** {@code $N} in a corpus string stands for N letters {@code a}. */
    private static String expand(String text) {
        Matcher m = Pattern.compile("\\$(\\d+)").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, "a".repeat(Integer.parseInt(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String clip(String text) {
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
