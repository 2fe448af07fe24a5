package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.audio.AudioResponseFormat;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionCreateResponse;
import io.micromesh.api.Json;
import io.micromesh.engines.audio.WordErrorRate;
import io.micromesh.testkit.Wavs;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** POST /v1/audio/transcriptions on a real gateway with an in-process Vosk model. */
@Timeout(300)
class TranscriptionEndpointTest {

    private static TestGateway mesh;
    private static final Path SHARED = Path.of(System.getProperty("mesh.shared.dir", "../../shared"), "data", "audio");

    @BeforeAll
    static void start() {
        mesh = new TestGateway("""
                models:
                  - id: asr
                    engine: vosk
                    hardware: { kind: cpu, cores: 2, watts: 35 }
                  - id: minilm
                    engine: onnx
                """);
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    /** A multipart/form-data body of the given fields; {@code file} is sent as a file named audio.wav. */
    private static HttpResponse<String> upload(Map<String, Object> fields) {
        String boundary = "mesh-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        fields.forEach((name, value) -> {
            String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
                    + (value instanceof byte[] ? "; filename=\"audio.wav\"\r\nContent-Type: audio/wav" : "") + "\r\n\r\n";
            body.writeBytes(head.getBytes(StandardCharsets.UTF_8));
            body.writeBytes(value instanceof byte[] b ? b : value.toString().getBytes(StandardCharsets.UTF_8));
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        });
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return mesh.post("/v1/audio/transcriptions", body.toByteArray(), "Content-Type", "multipart/form-data; boundary=" + boundary);
    }

    private static byte[] speech() throws Exception {
        return Files.readAllBytes(SHARED.resolve("jfk-16k.wav"));
    }

    @Test
    void theOfficialClientGetsTheTextOfARealVoice() throws Exception {
        assumeTrue(Files.isRegularFile(SHARED.resolve("jfk-16k.wav")), "../shared/data/audio is absent");
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(mesh.url() + "/v1").apiKey("unused").maxRetries(0).build();
        TranscriptionCreateResponse response = client.audio().transcriptions().create(TranscriptionCreateParams.builder()
                .file(SHARED.resolve("jfk-16k.wav")).model("asr").responseFormat(AudioResponseFormat.JSON).build());
        String text = response.asTranscription().text();
        assertThat(WordErrorRate.of(text, Files.readString(SHARED.resolve("jfk-16k.ref.txt")))).as(text).isLessThan(0.15);
    }

    @Test
    void everyResponseFormatHasItsShape() throws Exception {
        assumeTrue(Files.isRegularFile(SHARED.resolve("jfk-16k.wav")), "../shared/data/audio is absent");
        HttpResponse<String> json = upload(Map.of("file", speech(), "model", "asr"));
        assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
        JsonNode body = Json.mapper().readTree(json.body());
        assertThat(body.path("text").asText()).contains("what your country can do for you");
        assertThat(body.path("usage").path("type").asText()).isEqualTo("duration");
        assertThat(body.path("usage").path("seconds").asDouble()).isBetween(10.0, 12.0);
        assertThat(body.path("usage").path("energy_wh").asDouble()).isPositive();

        HttpResponse<String> verbose = upload(Map.of("file", speech(), "model", "asr", "response_format", "verbose_json",
                "timestamp_granularities[]", "word"));
        JsonNode v = Json.mapper().readTree(verbose.body());
        assertThat(v.path("task").asText()).isEqualTo("transcribe");
        assertThat(v.path("words").size()).isGreaterThan(15);
        assertThat(v.path("words").path(0).path("end").asDouble()).isGreaterThan(v.path("words").path(0).path("start").asDouble());
        assertThat(v.has("segments")).as("only the granularity asked for").isFalse();

        HttpResponse<String> text = upload(Map.of("file", speech(), "model", "asr", "response_format", "text"));
        assertThat(text.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        assertThat(text.body()).contains("fellow americans");
        HttpResponse<String> srt = upload(Map.of("file", speech(), "model", "asr", "response_format", "srt"));
        assertThat(srt.body()).startsWith("1\n00:00:").contains(" --> ");
        HttpResponse<String> vtt = upload(Map.of("file", speech(), "model", "asr", "response_format", "vtt"));
        assertThat(vtt.body()).startsWith("WEBVTT\n\n00:00:").contains(".").contains(" --> ");
    }

    @Test
    void badRequestsAre400AndTheServerKeepsServing() {
        byte[] tone = Wavs.tone(16_000, 1, 1);
        assertThat(upload(Map.of("file", new byte[0], "model", "asr")).body()).contains("invalid_audio").contains("empty");
        HttpResponse<String> mp3 = upload(Map.of("file", "ID3 not really audio".getBytes(), "model", "asr"));
        assertThat(mp3.statusCode()).isEqualTo(400);
        assertThat(mp3.body()).contains("supported: WAV");
        byte[] cut = java.util.Arrays.copyOf(Wavs.tone(16_000, 1, 2), 20_000);
        assertThat(upload(Map.of("file", cut, "model", "asr")).body()).contains("cut short");
        assertThat(upload(Map.of("model", "asr")).body()).contains("file is required");
        assertThat(upload(Map.of("file", tone)).body()).contains("model is required");
        assertThat(upload(Map.of("file", tone, "model", "minilm")).body()).contains("does not transcribe audio");
        assertThat(upload(Map.of("file", tone, "model", "nope")).statusCode()).isEqualTo(404);
        assertThat(upload(Map.of("file", tone, "model", "asr", "response_format", "mp3")).body()).contains("response_format 'mp3'");
        assertThat(upload(Map.of("file", tone, "model", "asr", "language", "fr")).body()).contains("English only");
        assertThat(mesh.post("/v1/audio/transcriptions", "{\"model\": \"asr\"}", "Content-Type", "application/json").statusCode())
                .isEqualTo(400);
        HttpResponse<String> fine = upload(Map.of("file", tone, "model", "asr"));
        assertThat(fine.statusCode()).as(fine.body()).isEqualTo(200);
    }
}
