package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.audio.AudioResponseFormat;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionCreateResponse;
import io.micromesh.api.Json;
import io.micromesh.engines.audio.WordErrorRate;
import io.micromesh.testkit.StandInServer;
import io.micromesh.testkit.Wavs;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** POST /v1/audio/transcriptions on a real gateway with an in-process Vosk model. */
@Timeout(300)
class TranscriptionEndpointTest {

    private static TestGateway mesh;
    /** An OpenAI audio server (such as a faster-whisper server) and one that fails. */
    private static StandInServer remote;
    private static StandInServer broken;
    private static final Path SHARED = Path.of(System.getProperty("mesh.shared.dir", "../../shared"), "data", "audio");

    @BeforeAll
    static void start() {
        remote = StandInServer.start("whisper-large-v3").reply("Hello from the remote server");
        broken = StandInServer.start("whisper-broken").mode(StandInServer.Mode.ERROR_500);
        mesh = new TestGateway("""
                models:
                  - id: asr
                    engine: vosk
                    hardware: { kind: cpu, cores: 2, watts: 35 }
                  - id: minilm
                    engine: onnx
                  - id: remote-asr
                    engine: openai
                    endpoints: ["%s"]
                    served-name: whisper-large-v3
                    capabilities: [transcription]
                    price: { per-audio-minute: 0.006 }
                  - id: broken-asr
                    engine: openai
                    endpoints: ["%s"]
                    capabilities: [transcription]
                    eject-after-failures: 1000
                  - id: missing-whisper
                    engine: whisper-cpp
                    file: /nonexistent/ggml-base.en.bin
                routes:
                  - name: transcribe
                    policy: fallback
                    candidates: [broken-asr, remote-asr]
                  - name: checked
                    policy: cascade
                    candidates: [remote-asr]
                """.formatted(remote.baseUrl(), broken.baseUrl()));
    }

    @AfterAll
    static void stop() {
        mesh.close();
        remote.close();
        broken.close();
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
    void aRemoteServerTranscribesAndTheOfficialClientParsesEveryResponseFormat() throws Exception {
        Path wav = Files.write(Files.createTempFile("tone", ".wav"), Wavs.tone(44_100, 2, 3));
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(mesh.url() + "/v1").apiKey("unused").maxRetries(0).build();
        // a builder per request: the client reads the file's stream once
        java.util.function.Supplier<TranscriptionCreateParams.Builder> params =
                () -> TranscriptionCreateParams.builder().file(wav).model("remote-asr");

        var json = client.audio().transcriptions().create(params.get().responseFormat(AudioResponseFormat.JSON).build());
        assertThat(json.asTranscription().text()).isEqualTo("Hello from the remote server");
        var verbose = client.audio().transcriptions().create(params.get().responseFormat(AudioResponseFormat.VERBOSE_JSON)
                .timestampGranularities(List.of(TranscriptionCreateParams.TimestampGranularity.WORD,
                        TranscriptionCreateParams.TimestampGranularity.SEGMENT)).build()).asVerbose();
        assertThat(verbose.duration()).isEqualTo(3.0);
        assertThat(verbose.segments().orElseThrow()).hasSize(1);
        assertThat(verbose.words().orElseThrow()).extracting(w -> w.word()).containsExactly("Hello", "from", "the", "remote", "server");
        for (AudioResponseFormat format : List.of(AudioResponseFormat.TEXT, AudioResponseFormat.SRT, AudioResponseFormat.VTT)) {
            var plain = client.audio().transcriptions().create(params.get().responseFormat(format).build());
            assertThat(plain.asTranscription().text()).as(format.toString()).contains("Hello from the remote server");
        }

        // what the remote server received: its own model name, a 16 kHz mono WAV, and a request for times
        StandInServer.Recorded sent = remote.recorded().getLast();
        assertThat(sent.path()).isEqualTo("/v1/audio/transcriptions");
        assertThat(sent.body().path("model").asText()).isEqualTo("whisper-large-v3");
        assertThat(sent.body().path("response_format").asText()).isEqualTo("verbose_json");
        assertThat(sent.body().path("file").path("content_type").asText()).isEqualTo("audio/wav");
        assertThat(sent.body().path("file").path("bytes").asInt()).isBetween(3 * 32_000, 3 * 32_000 + 100);

        HttpResponse<String> priced = upload(Map.of("file", Wavs.tone(16_000, 1, 30), "model", "remote-asr"));
        JsonNode usage = Json.mapper().readTree(priced.body()).path("usage");
        assertThat(usage.path("seconds").asDouble()).isEqualTo(30.0);
        assertThat(usage.path("cost_usd").asDouble()).as("half a minute at $0.006 a minute").isCloseTo(0.003, within(1e-9));
        assertThat(usage.path("energy_wh").asDouble()).as("spent on the remote server, not here").isZero();
    }

    @Test
    void aRouteOfSpeechModelsFallsBackWhenOneFailsAndRefusesPoliciesThatReadText() throws Exception {
        HttpResponse<String> routed = upload(Map.of("file", Wavs.tone(16_000, 1, 1), "model", "transcribe"));
        assertThat(routed.statusCode()).as(routed.body()).isEqualTo(200);
        assertThat(Json.mapper().readTree(routed.body()).path("text").asText()).isEqualTo("Hello from the remote server");
        assertThat(routed.headers().firstValue("x-mesh-model")).hasValue("remote-asr");
        assertThat(routed.headers().firstValue("x-mesh-route").orElse("")).contains("route=transcribe")
                .contains("fell back to remote-asr after broken-asr failed");
        assertThat(broken.generationRequests()).isPositive();

        HttpResponse<String> cascade = upload(Map.of("file", Wavs.tone(16_000, 1, 1), "model", "checked"));
        assertThat(cascade.statusCode()).isEqualTo(400);
        assertThat(cascade.body()).contains("policy cascade").contains("fixed, fallback, rules");
    }

    @Test
    void aWhisperModelWithoutItsFileIsUnavailableWhileTheOthersServe() throws Exception {
        HttpResponse<String> missing = upload(Map.of("file", Wavs.tone(16_000, 1, 1), "model", "missing-whisper"));
        assertThat(missing.statusCode()).isEqualTo(503);
        assertThat(missing.body()).contains("/nonexistent/ggml-base.en.bin").contains("no such file");
        assertThat(mesh.get("/v1/models/missing-whisper").body()).contains("no such file");
        assertThat(upload(Map.of("file", Wavs.tone(16_000, 1, 1), "model", "asr")).statusCode()).isEqualTo(200);
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
        // a header that announces three hours (the data chunk's size patched): the work is bounded by the one
        // second the file holds, and the file is refused as cut short
        byte[] long3h = Wavs.tone(8_000, 1, 1);
        java.nio.ByteBuffer.wrap(long3h).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(40, 8_000 * 2 * 3 * 3600)
                .putInt(4, 36 + 8_000 * 2 * 3 * 3600);
        HttpResponse<String> tooLong = upload(Map.of("file", long3h, "model", "asr"));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(tooLong.body()).contains("invalid_audio").contains("cut short");
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
