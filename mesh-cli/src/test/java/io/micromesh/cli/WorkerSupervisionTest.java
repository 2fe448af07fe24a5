package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.api.MultipartForm;
import io.micromesh.core.Portfolio;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.engines.Engines;
import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import io.micromesh.engines.llamacpp.SupervisedWorker;
import io.micromesh.engines.whisper.WhisperModelFile;
import io.micromesh.server.Gateway;
import io.micromesh.testkit.HubStandIn;
import io.micromesh.testkit.Wavs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The life of engine workers: restarted after a crash, stopped with their gateway, gone when the
 * gateway dies without a word, and their model pulled on first start.
 */
class WorkerSupervisionTest {

    private static final Pattern WORKER_PID = Pattern.compile("engine worker pid (\\d+)");
    private final HttpClient http = HttpClient.newHttpClient();

    private static String config(Path model) {
        return """
                server: { port: 0, access-log: false }
                models:
                  - id: tiny
                    engine: llamacpp
                    file: %s
                    slots: 1
                    context: 4096
                """.formatted(model);
    }

    private static Path tinyModel(Path dir) {
        Path file = dir.resolve("tiny.gguf");
        GgufWriter.writeRandomLlama(file, Shape.tiny(GgmlType.F16), "tiny", 3);
        return file;
    }

    @Test
    void aWorkerKilledMidStreamFailsThatRequestRetriablyAndIsRestartedForTheNext(@TempDir Path dir) throws Exception {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse(config(tinyModel(dir)));
        try (ExecutorService background = Executors.newVirtualThreadPerTaskExecutor()) {
            Portfolio portfolio = Engines.open(config, Clock.systemUTC(), background, ServeCommand.workerCommand());
            Gateway gateway = Gateway.start(config.server(), portfolio, Clock.systemUTC());
            try {
                String url = "http://127.0.0.1:" + gateway.port();
                SupervisedWorker worker = (SupervisedWorker) portfolio.model("tiny").orElseThrow().backend();
                awaitStatus(url, "ready");
                long firstPid = worker.pid();

                // a long stream: no end token, so it runs until max_tokens
                String banEnds = "\"logit_bias\":{\"2\":-100,\"4\":-100}";
                HttpResponse<Stream<String>> stream = http.send(post(url, "{\"model\":\"tiny\",\"stream\":true,"
                        + "\"max_tokens\":4000," + banEnds + ",\"messages\":[{\"role\":\"user\",\"content\":\"go on\"}]}"),
                        HttpResponse.BodyHandlers.ofLines());
                assertThat(stream.statusCode()).isEqualTo(200);
                List<String> events = new ArrayList<>();
                var lines = stream.body().iterator();
                while (lines.hasNext()) {
                    String line = lines.next();
                    if (line.startsWith("data: ")) {
                        events.add(line);
                        if (events.size() == 1) {
                            ProcessHandle.of(firstPid).orElseThrow().destroyForcibly();  // kill -9
                        }
                    }
                }
                String last = events.getLast();
                assertThat(last).as("the stream ends with an error event, not [DONE]").contains("\"error\"");
                assertThat(events).noneMatch(e -> e.equals("data: [DONE]"));
                assertThat(Json.mapper().readTree(last.substring(6)).path("error").path("code").asText())
                        .isIn("upstream_broken_stream", "backend_unavailable");

                // the supervisor notices the exit a moment after the stream broke: until then the model still
                // reads ready (with the dead pid), so wait for the restart itself, then for ready
                long restarted = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (worker.restarts() == 0 && System.nanoTime() < restarted) {
                    Thread.sleep(50);
                }
                awaitStatus(url, "ready");
                assertThat(worker.pid()).isNotEqualTo(firstPid);
                assertThat(worker.restarts()).isEqualTo(1);
                HttpResponse<String> after = http.send(post(url, "{\"model\":\"tiny\",\"max_tokens\":4,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"again\"}]}"), HttpResponse.BodyHandlers.ofString());
                assertThat(after.statusCode()).isEqualTo(200);
                assertThat(modelStatus(url).path("status_detail").asText()).contains("restarts: 1");
            } finally {
                gateway.drainAndStop();
                portfolio.close();
            }
        }
    }

    @Test
    void stoppingTheGatewayStopsItsWorker(@TempDir Path dir) throws Exception {
        Process mesh = serve(dir, config(tinyModel(dir)), "--offline");
        try {
            String url = MeshProcess.awaitListening(mesh);
            long workerPid = awaitWorkerPid(url);
            mesh.destroy();  // SIGTERM
            assertThat(mesh.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(awaitGone(workerPid)).as("worker %d still alive after its gateway stopped", workerPid).isTrue();
        } finally {
            mesh.destroyForcibly();
        }
    }

    @Test
    void aWorkerWhoseGatewayIsKilledExitsByItself(@TempDir Path dir) throws Exception {
        Process mesh = serve(dir, config(tinyModel(dir)), "--offline");
        try {
            String url = MeshProcess.awaitListening(mesh);
            long workerPid = awaitWorkerPid(url);
            mesh.destroyForcibly();  // kill -9: no shutdown hook runs
            assertThat(mesh.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(awaitGone(workerPid)).as("worker %d outlived its killed gateway", workerPid).isTrue();
        } finally {
            mesh.destroyForcibly();
        }
    }

    @Test
    void aMissingModelIsPulledOnFirstStartAndServed(@TempDir Path dir) throws Exception {
        Path built = tinyModel(dir);
        try (HubStandIn hub = HubStandIn.start().lfsFile("acme/tiny-GGUF", "tiny.gguf", Files.readAllBytes(built))) {
            Path models = Files.createDirectories(dir.resolve("models"));
            String yaml = """
                    server: { port: 0, access-log: false }
                    models:
                      - id: tiny
                        engine: llamacpp
                        file: %s
                        pull: hf://acme/tiny-GGUF/tiny.gguf
                    """.formatted(models.resolve("tiny.gguf"));
            Process mesh = serve(dir, yaml, Map.of("MESH_HF_ENDPOINT", hub.endpoint()));
            try {
                String url = MeshProcess.awaitListening(mesh);
                awaitStatus(url, "ready");
                assertThat(models.resolve("tiny.gguf")).hasSameBinaryContentAs(built);
                assertThat(Files.readString(dir.resolve("stderr.txt"))).contains("is missing; downloading")
                        .contains("tiny.gguf");
            } finally {
                mesh.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aMissingWhisperModelIsPulledOnFirstStartAndTranscribes(@TempDir Path dir) throws Exception {
        Path built = dir.resolve("built.bin");
        WhisperModelFile.writeEmpty(built, WhisperModelFile.Shape.TINY);
        try (HubStandIn hub = HubStandIn.start().lfsFile("acme/whisper", "ggml-tiny.en.bin", Files.readAllBytes(built))) {
            Path models = Files.createDirectories(dir.resolve("models"));
            String yaml = """
                    server: { port: 0, access-log: false }
                    models:
                      - id: whisper
                        engine: whisper-cpp
                        file: %s
                        pull: hf://acme/whisper/ggml-tiny.en.bin
                    """.formatted(models.resolve("ggml-tiny.en.bin"));
            Process mesh = serve(dir, yaml, Map.of("MESH_HF_ENDPOINT", hub.endpoint()));
            try {
                String url = MeshProcess.awaitListening(mesh);
                assertThat(models.resolve("ggml-tiny.en.bin")).hasSameBinaryContentAs(built);
                MultipartForm form = new MultipartForm().file("file", "tone.wav", "audio/wav", Wavs.tone(16_000, 1, 1))
                        .field("model", "whisper");
                HttpResponse<String> heard = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/audio/transcriptions"))
                        .timeout(Duration.ofSeconds(60)).header("Content-Type", form.contentType())
                        .POST(HttpRequest.BodyPublishers.ofByteArray(form.bytes())).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(heard.statusCode()).as(heard.body()).isEqualTo(200);
                assertThat(Json.mapper().readTree(heard.body()).path("usage").path("seconds").asDouble()).isEqualTo(1.0);
            } finally {
                mesh.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aFailedPullNamesTheCommandAndTheRestServes(@TempDir Path dir) throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {  // knows no such repository
            String yaml = """
                    server: { port: 0, access-log: false }
                    models:
                      - id: tiny
                        engine: llamacpp
                        file: %s
                        pull: hf://acme/nothing-GGUF/tiny.gguf
                      - id: minilm
                        engine: onnx
                    """.formatted(dir.resolve("models").resolve("tiny.gguf"));
            Process mesh = serve(dir, yaml, Map.of("MESH_HF_ENDPOINT", hub.endpoint()));
            try {
                String url = MeshProcess.awaitListening(mesh);
                assertThat(Files.readString(dir.resolve("stderr.txt"))).contains("download failed")
                        .contains("retry with: ./mesh pull hf://acme/nothing-GGUF/tiny.gguf --dir");
                HttpResponse<String> embedded = http.send(post(url,
                        "{\"model\":\"minilm\",\"input\":\"still serving\"}", "/v1/embeddings"), HttpResponse.BodyHandlers.ofString());
                assertThat(embedded.statusCode()).isEqualTo(200);
            } finally {
                mesh.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private Process serve(Path dir, String yaml, String... options) throws Exception {
        return serve(dir, yaml, Map.of(), options);
    }

    private Process serve(Path dir, String yaml, Map<String, String> environment, String... options) throws Exception {
        Path config = dir.resolve("mesh.yaml");
        Files.writeString(config, yaml);
        List<String> command = MeshProcess.command("serve", "--config", config.toString());
        command.addAll(List.of(options));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectError(dir.resolve("stderr.txt").toFile());
        builder.environment().putAll(environment);
        return builder.start();
    }

    private static HttpRequest post(String url, String body) {
        return post(url, body, "/v1/chat/completions");
    }

    private static HttpRequest post(String url, String body, String path) {
        return HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private JsonNode modelStatus(String url) throws Exception {
        HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        return Json.mapper().readTree(models.body()).path("data").get(0).path("mesh");
    }

    private void awaitStatus(String url, String status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (modelStatus(url).path("status").asText().equals(status)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not " + status + ": " + modelStatus(url));
    }

    private long awaitWorkerPid(String url) throws Exception {
        awaitStatus(url, "ready");
        Matcher pid = WORKER_PID.matcher(modelStatus(url).path("status_detail").asText());
        assertThat(pid.find()).isTrue();
        long workerPid = Long.parseLong(pid.group(1));
        assertThat(ProcessHandle.of(workerPid).map(ProcessHandle::isAlive)).hasValue(true);
        return workerPid;
    }

    private static boolean awaitGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            if (handle.isEmpty() || !handle.get().isAlive()) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }
}
