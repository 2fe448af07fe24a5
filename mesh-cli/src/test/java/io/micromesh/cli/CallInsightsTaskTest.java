package io.micromesh.cli;

import static io.micromesh.cli.MeshCli.mesh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import io.micromesh.engines.gguf.GgufWriter.Shape;
import io.micromesh.jobs.task.BatchTask;
import io.micromesh.testkit.StandInServer;
import io.micromesh.testkit.Wavs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The built-in call-insights task on transcripts this test writes, without and with a generative model. */
@Timeout(300)
class CallInsightsTaskTest {

    @TempDir
    Path dir;

    private StandInServer backend;

    @BeforeEach
    void start() {
        backend = StandInServer.start("batch-backend");
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    private Path transcripts() throws Exception {
        String calls = String.join("\n",
                Json.string(Json.object().put("id", "c1").put("transcript", """
                        Agent: Thank you for calling, how can I help you today?
                        Customer: I am really angry, you charged my card twice for the same invoice.
                        Customer: My card is 4111 1111 1111 1111 and I paid $49.99 on 2026-11-02.
                        Agent: I see the double charge. I will refund $49.99 within five days, reference RF-20931.
                        Customer: Thank you so much, that is great.""")),
                Json.string(Json.object().put("id", "c2").put("transcript", """
                        #Person1#: Good morning, what can I do for you?
                        #Person2#: My parcel has not arrived and the tracking number 1Z999 shows nothing.
                        #Person1#: I am sorry, I will ask the courier and call you back on four one five, five five five, two six seven one.
                        #Person2#: Okay, I will wait for your call.""")));
        return Files.writeString(dir.resolve("calls.jsonl"), calls + "\n");
    }

    /** The built-in call-insights task on {@code input}, with Vosk on one core as the portfolio's asr; its output lines. */
    private List<JsonNode> callInsightsWithVosk(Path input) throws Exception {
        Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                models:
                  - { id: asr, engine: vosk, hardware: { kind: cpu, cores: 1, watts: 35 } }
                """);
        Path out = dir.resolve("insights.jsonl");
        MeshCli.Run run = mesh("batch", "run", input.toString(), "--out", out.toString(), "--config", config.toString(),
                "--task", "call-insights");
        assertThat(run.exit()).as(run.err()).isZero();
        return lines(out);
    }

    private static List<JsonNode> lines(Path file) throws Exception {
        return Files.readAllLines(file).stream().map(l -> {
            try {
                return Json.mapper().readTree(l);
            } catch (Exception e) {
                throw new AssertionError(l, e);
            }
        }).toList();
    }

    @Test
    void withoutAGenerativeModelTheMicroModelFieldsAreProducedAndTheOthersMarked() throws Exception {
        Path out = dir.resolve("insights.jsonl");
        MeshCli.Run run = mesh("batch", "run", transcripts().toString(), "--out", out.toString(), "--url", backend.baseUrl(),
                "--task", "call-insights");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).contains("running the task's micro-model steps only");
        assertThat(backend.generationRequests()).isZero();
        JsonNode c1 = lines(out).get(0);
        JsonNode output = c1.path("output");
        assertThat(output.path("redacted_transcript").asText()).contains("My card is [CARD]").doesNotContain("4111");
        assertThat(output.path("topic").asText()).isEqualTo("billing");
        assertThat(output.path("sentiment").path("start").asText()).isEqualTo("negative");
        assertThat(output.path("sentiment").path("end").asText()).isEqualTo("positive");
        assertThat(c1.path("provenance").path("sentiment").path("by").asText()).isEqualTo("step:classify");
        assertThat(output.path("entities").path("amounts").path(0).path("currency").asText()).isEqualTo("USD");
        assertThat(output.path("entities").path("dates").path(0).path("date").asText()).isEqualTo("2026-11-02");
        assertThat(output.path("entities").path("references").findValuesAsText("value")).contains("RF-20931");
        assertThat(output.path("summary").asText()).isNotBlank();
        assertThat(c1.path("provenance").path("summary").path("by").asText()).isEqualTo("step:extract-summary");
        assertThat(c1.path("provenance").path("topic").path("confidence").asDouble()).isBetween(0.0, 1.0);
        for (String field : List.of("reason", "resolved", "action_items")) {
            assertThat(c1.path("provenance").path(field).path("produced").asBoolean(true)).as(field).isFalse();
            assertThat(output.has(field)).as(field).isFalse();
        }
        JsonNode c2 = lines(out).get(1).path("output");
        assertThat(c2.path("redacted_transcript").asText()).contains("call you back on [PHONE]");
        assertThat(c2.path("topic").asText()).isEqualTo("delivery");
        assertThat(c2.path("customer").path("speaker").asText()).isEqualTo("#Person2#");
        JsonNode report = Json.mapper().readTree(Files.readString(dir.resolve("insights.jsonl.report.json")));
        assertThat(report.path("items_by_model").path("(steps only)").asInt()).isEqualTo(2);
        assertThat(report.path("fields_by_producer").path("(not produced)").asInt()).as("reason, resolved, action_items twice")
                .isEqualTo(6);
    }

    @Test
    void withAModelTheGenerativeFieldsComeFromItAndTheSureStepsStay() throws Exception {
        backend.reply(Json.string(Json.object().put("summary", "The customer was charged twice; a refund is promised.")
                .put("reason", "A double charge.").put("resolved", "yes").put("topic", "refunds")
                .set("action_items", Json.mapper().createArrayNode().add("refund $49.99"))));
        Path out = dir.resolve("insights.jsonl");
        MeshCli.Run run = mesh("batch", "run", transcripts().toString(), "--out", out.toString(), "--url", backend.baseUrl(),
                "--task", "call-insights", "--route", "batch-backend");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode c1 = lines(out).get(0);
        assertThat(c1.path("output").path("summary").asText()).isEqualTo("The customer was charged twice; a refund is promised.");
        assertThat(c1.path("provenance").path("summary").path("by").asText()).isEqualTo("model:batch-backend");
        assertThat(c1.path("output").path("resolved").asText()).isEqualTo("yes");
        assertThat(c1.path("output").path("action_items").path(0).asText()).isEqualTo("refund $49.99");
        // the topic: the classifier's when it is sure (at least 0.5), else the model's
        boolean sure = c1.path("provenance").path("topic").path("confidence").asDouble(0) >= 0.5;
        assertThat(c1.path("output").path("topic").asText()).isEqualTo(sure ? "billing" : "refunds");
        // the model saw the redacted transcript, never the card number
        assertThat(backend.recorded().stream().map(r -> r.body().toString())).noneMatch(b -> b.contains("4111"));
    }

    @Test
    void aTinyRandomEngineWorkerFillsTheGenerativeFieldsWithinTheSchema() throws Exception {
        Path tiny = dir.resolve("tiny.gguf");
        GgufWriter.writeRandomLlama(tiny, Shape.tiny(GgmlType.Q8_0), "tiny", 11);
        Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                models:
                  - { id: tiny, engine: llamacpp, file: "%s", slots: 2, context: 8192 }
                """.formatted(tiny));
        // the built-in task with room for the worst answer of a byte-level random model: 670 characters of strings,
        // each up to six tokens (an escape such as \u00e9), where a real model's tokenizer needs about 200 tokens
        String builtIn;
        try (var in = BatchTask.class.getResourceAsStream("/io/micromesh/jobs/tasks/call-insights.yaml")) {
            builtIn = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(builtIn).contains("max-tokens: 1000");
        Path task = Files.writeString(dir.resolve("call-insights.yaml"), builtIn.replace("max-tokens: 1000", "max-tokens: 5000"));
        Path out = dir.resolve("insights.jsonl");
        MeshCli.Run run = mesh("batch", "run", transcripts().toString(), "--out", out.toString(), "--config", config.toString(),
                "--task", task.toString(), "--route", "tiny", "--concurrency", "2");
        assertThat(run.exit()).as(run.err()).isZero();
        for (JsonNode line : lines(out)) {
            assertThat(line.path("error").isNull()).as(line.toString()).isTrue();
            JsonNode output = line.path("output");
            assertThat(output.path("resolved").asText()).isIn("yes", "no", "partly");
            // (maxLength is not checked here: a random byte-level model emits stray UTF-8 bytes, and the text Java
            // decodes from them can hold more characters than the grammar counted)
            assertThat(output.path("reason").isTextual()).isTrue();
            assertThat(output.path("summary").isTextual()).isTrue();
            assertThat(output.path("action_items").size()).isLessThanOrEqualTo(3);
            assertThat(line.path("provenance").path("reason").path("by").asText()).isEqualTo("model:tiny");
            assertThat(output.path("redacted_transcript").asText()).doesNotContain("4111");
        }
    }

    @Test
    void aStereoCallIsTranscribedFirstWithItsSpeakersAndTheReportShowsEachStage() throws Exception {
        assumeTrue(Wavs.canSpeak(), "espeak-ng is not installed (.ci/run installs it)");
        Files.write(dir.resolve("call-1.wav"), Wavs.twoVoices(Wavs.speech("good morning, how can I help you today"),
                Wavs.speech("my parcel has not arrived and I would like a refund for my order")));
        Path input = Files.writeString(dir.resolve("calls.jsonl"), String.join("\n",
                Json.string(Json.object().put("id", "a1").put("audio", "call-1.wav")),
                Json.string(Json.object().put("id", "a2").put("audio", "no-such-call.wav")),
                Json.string(Json.object().put("id", "a3")),
                Json.string(Json.object().put("id", "t1").put("transcript", "Agent: Hello.\nCustomer: I want to cancel my plan."))
        ) + "\n");
        List<JsonNode> lines = callInsightsWithVosk(input);

        JsonNode heard = lines.get(0);
        String transcript = heard.path("output").path("redacted_transcript").asText();
        assertThat(transcript).as("the left channel speaks first, then the right").startsWith("Agent: ").contains("\nCustomer: ");
        assertThat(transcript.substring(transcript.indexOf("Customer: "))).contains("arrived").contains("refund");
        assertThat(heard.path("output").path("customer").path("speaker").asText()).isEqualTo("Customer");
        assertThat(heard.path("provenance").path("topic").path("by").asText()).as(heard.toString()).isEqualTo("step:classify");
        JsonNode stage = heard.path("transcription");
        assertThat(stage.path("model").asText()).isEqualTo("asr");
        assertThat(stage.path("audio_seconds").asDouble()).isBetween(5.0, 15.0);
        assertThat(stage.path("real_time_factor").asDouble()).isPositive();
        assertThat(stage.path("energy_wh").asDouble()).isPositive();

        assertThat(lines.get(1).path("error").path("code").asText()).isEqualTo("invalid_audio");
        assertThat(lines.get(1).path("error").path("message").asText()).contains("no-such-call.wav").contains("no such file");
        assertThat(lines.get(2).path("error").path("message").asText()).contains("no field 'transcript'")
                .contains("nor 'audio'");
        assertThat(lines.get(3).has("transcription")).as("text records skip the stage").isFalse();
        assertThat(lines.get(3).path("output").path("topic").asText()).isEqualTo("cancellation");

        JsonNode report = Json.mapper().readTree(Files.readString(dir.resolve("insights.jsonl.report.json")));
        JsonNode speech = report.path("stages").path("transcription");
        assertThat(speech.path("items").asInt()).isEqualTo(1);
        assertThat(speech.path("audio_minutes").asDouble()).isCloseTo(stage.path("audio_seconds").asDouble() / 60,
                org.assertj.core.api.Assertions.within(1e-6));
        assertThat(speech.path("real_time_factor").asDouble()).isPositive();
        assertThat(report.path("energy_wh").asDouble()).isGreaterThanOrEqualTo(speech.path("energy_wh").asDouble());
        assertThat(Files.readString(dir.resolve("insights.jsonl.report.html"))).contains("stage: transcription");
    }

    /**
     * A telephone call as recorded: 8 kHz μ-law, one speaker per channel (made with ffmpeg from
     * espeak-ng's low and high voices), then a mono mix of it, and a mono call of one voice saying
     * both parts, through the whole chain. The stereo call keeps its speakers by channel, the mono
     * mix gets them from the voices' pitch (the first to speak is the agent); where pitch cannot
     * tell the voices apart the customer is unknown, never empty text.
     */
    @Test
    void an8kHzMuLawCallGoesThroughTheWholeChainInStereoAndInMono() throws Exception {
        assumeTrue(Wavs.canSpeak(), "espeak-ng is not installed (.ci/run installs it)");
        assumeTrue(io.micromesh.engines.audio.FfmpegDecoder.find().isPresent(), "ffmpeg is not installed (.ci/run installs it)");
        String agent = "good morning, thank you for calling, how can I help you today";
        String customer = "my parcel has not arrived and I would like a refund for my order";
        Files.write(dir.resolve("two-voices.wav"), Wavs.twoVoices(Wavs.speech(agent, "en-us+m3"), Wavs.speech(customer, "en-us+f2")));
        Files.write(dir.resolve("one-voice.wav"), Wavs.twoVoices(Wavs.speech(agent, "en-us+m3"), Wavs.speech(customer, "en-us+m3")));
        for (String[] variant : List.of(new String[] {"two-voices.wav", "stereo.wav", "2"}, new String[] {"two-voices.wav", "mono.wav", "1"},
                new String[] {"one-voice.wav", "one-voice-mono.wav", "1"})) {
            Process ffmpeg = new ProcessBuilder("ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", dir.resolve(variant[0]).toString(),
                    "-ar", "8000", "-ac", variant[2], "-c:a", "pcm_mulaw", dir.resolve(variant[1]).toString()).redirectErrorStream(true)
                    .start();
            assertThat(ffmpeg.waitFor()).isZero();
        }
        Path input = Files.writeString(dir.resolve("calls.jsonl"), String.join("\n",
                Json.string(Json.object().put("id", "stereo").put("audio", "stereo.wav")),
                Json.string(Json.object().put("id", "mono").put("audio", "mono.wav")),
                Json.string(Json.object().put("id", "one-voice").put("audio", "one-voice-mono.wav"))) + "\n");
        List<JsonNode> lines = callInsightsWithVosk(input);
        for (String id : List.of("stereo", "mono")) {
            JsonNode call = lines.stream().filter(l -> l.path("id").asText().equals(id)).findFirst().orElseThrow();
            String transcript = call.path("output").path("redacted_transcript").asText();
            assertThat(transcript).as(id + ": " + transcript).startsWith("Agent: ").contains("\nCustomer: ");
            assertThat(transcript.substring(transcript.indexOf("Customer: "))).as(id).contains("refund").doesNotContain("morning");
            assertThat(transcript.lines().toList()).as("each turn ends a sentence").allSatisfy(line -> assertThat(line).endsWith("."));
            assertThat(call.path("output").path("customer").path("speaker").asText()).isEqualTo("Customer");
            assertThat(call.path("output").path("summary").asText()).as(id).doesNotContainPattern("\\b[Ii]\\b");
        }
        JsonNode oneVoice = lines.stream().filter(l -> l.path("id").asText().equals("one-voice")).findFirst().orElseThrow();
        assertThat(oneVoice.path("output").path("redacted_transcript").asText()).contains("refund").doesNotContain("Customer:");
        assertThat(oneVoice.path("output").path("customer").path("speaker").isNull()).as(oneVoice.toString()).isTrue();
        assertThat(oneVoice.path("output").path("customer").path("first").isNull()).isTrue();
        assertThat(oneVoice.path("output").path("sentiment").path("start").isNull()).as("no customer turn: no sentiment").isTrue();
    }
}
