package io.micromesh.cli;

import static io.micromesh.cli.MeshCli.mesh;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.core.Portfolio;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.routing.Router;
import io.micromesh.engines.Engines;
import io.micromesh.server.Gateway;
import io.micromesh.testkit.StandInServer;
import io.micromesh.testkit.Wavs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mesh bench} against a stand-in server told to behave in known ways: the figures it reports
 * must be what the stand-in was told, within tolerances that allow for a loaded 2-core machine.
 */
class BenchCommandTest {

    @TempDir
    Path dir;

    @Test
    void theContractFormMeasuresAFixedLatency() throws Exception {
        try (StandInServer server = StandInServer.start("fixed").delay(Duration.ofMillis(20))) {
            MeshCli.Run run = mesh("bench", "--url", server.baseUrl(), "--endpoint", "chat", "--model", "m",
                    "--concurrency", "4", "--requests", "80");
            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode result = run.result();
            assertThat(result.fieldNames()).toIterable().contains("requests", "errors", "requests_per_s", "p50_ms",
                    "p99_ms", "ttft_p50_ms", "itl_p50_ms", "output_tokens_per_s");
            assertThat(result.path("requests").asInt()).isEqualTo(80);
            assertThat(result.path("errors").asInt()).isZero();
            assertThat(result.path("p50_ms").asDouble()).isBetween(20.0, 45.0);
            // four workers, 20 ms each: at most 200 requests/s
            assertThat(result.path("requests_per_s").asDouble()).isBetween(80.0, 205.0);
            // the stand-in's answer has 4 words, its usage says 4 completion tokens
            assertThat(result.path("output_tokens_per_s").asDouble() / result.path("requests_per_s").asDouble())
                    .isCloseTo(4.0, org.assertj.core.data.Offset.offset(0.01));
            assertThat(server.generationRequests()).isEqualTo(80);
        }
    }

    @Test
    void aCatalogEntryFromTheMeasurementIsOneMeshPlanReads() throws Exception {
        try (StandInServer server = StandInServer.start("fixed").delay(Duration.ofMillis(20))) {
            MeshCli.Run run = mesh("bench", "--url", server.baseUrl(), "--endpoint", "chat", "--model", "m",
                    "--concurrency", "4", "--requests", "40", "--catalog-entry", "m-here");
            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode result = run.result();  // still the last line
            String out = run.out();
            String entry = out.substring(out.indexOf("(paste under deployments:):") + "(paste under deployments:):".length(),
                    out.lastIndexOf("\n{")).strip();
            io.micromesh.core.plan.Catalog catalog = io.micromesh.core.config.ConfigLoader.withEnvironment(Map.of())
                    .parse("deployments:\n  " + entry + "\n", io.micromesh.core.plan.Catalog.class, "e", "n");
            io.micromesh.core.plan.Catalog.Deployment measured = catalog.deployment("m-here").orElseThrow();
            double total = result.path("input_tokens_per_s").asDouble() + result.path("output_tokens_per_s").asDouble();
            assertThat(measured.throughput().outputTokensPerS()).isCloseTo(total, org.assertj.core.data.Offset.offset(0.02));
            assertThat(measured.throughput().source()).startsWith("measured: mesh bench --url");
            // a unit of it is busy for 1 / (requests a second) per request of the measured shape
            double perRequest = result.path("input_tokens_per_s").asDouble() / result.path("requests_per_s").asDouble()
                    / measured.throughput().inputTokensPerS() + result.path("output_tokens_per_s").asDouble()
                    / result.path("requests_per_s").asDouble() / measured.throughput().outputTokensPerS();
            assertThat(perRequest).isCloseTo(1 / result.path("requests_per_s").asDouble(), org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    @Test
    void streamingFiguresAreTheFirstTokenDelayAndTheTokenInterval() throws Exception {
        try (StandInServer server = StandInServer.start("paced").delay(Duration.ofMillis(50))
                .chunkInterval(Duration.ofMillis(10)).streamChunks(8).reply("one two three four five six seven eight")) {
            MeshCli.Run run = mesh("bench", "--url", server.baseUrl(), "--endpoint", "chat", "--model", "m",
                    "--concurrency", "2", "--requests", "30", "--stream");
            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode result = run.result();
            assertThat(result.path("errors").asInt()).isZero();
            assertThat(result.path("ttft_p50_ms").asDouble()).isBetween(50.0, 80.0);
            assertThat(result.path("itl_p50_ms").asDouble()).isBetween(9.5, 25.0);
            // tpot: the 7 gaps after the first token, over 8 tokens
            assertThat(result.path("tpot_p50_ms").asDouble()).isBetween(9.5, 25.0);
            // 50 ms before the first chunk, then 8 chunks 10 ms apart (the last followed by usage)
            assertThat(result.path("p50_ms").asDouble()).isBetween(120.0, 190.0);
            assertThat(server.recorded().getFirst().body().path("stream_options").path("include_usage").asBoolean()).isTrue();
        }
    }

    @Test
    void errorsAreCountedByKind() throws Exception {
        try (StandInServer server = StandInServer.start("flaky").failEvery(5)) {
            MeshCli.Run run = mesh("bench", "--url", server.baseUrl(), "--model", "m", "--concurrency", "2", "--requests", "100");
            assertThat(run.exit()).isZero();
            JsonNode result = run.result();
            assertThat(result.path("errors").asInt()).isEqualTo(20);
            assertThat(result.path("errors_by_kind").path("http_500").asInt()).isEqualTo(20);
            assertThat(run.out()).contains("20 of 100 requests failed");
        }
    }

    @Test
    void aRateSweepBeyondTheServersCapacityShowsTheKnee() throws Exception {
        // one request at a time, 20 ms each: the stand-in serves at most 50 requests/s
        try (StandInServer server = StandInServer.start("narrow").delay(Duration.ofMillis(20)).capacity(1)) {
            Path html = dir.resolve("report.html");
            Path json = dir.resolve("result.json");
            MeshCli.Run run = mesh("bench", "--url", server.baseUrl(), "--model", "m", "--rate", "10,25,120",
                    "--concurrency", "32", "--requests", "60", "--html", html.toString(), "--json", json.toString());
            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode points = run.result().path("points");
            assertThat(points).hasSize(3);
            double calm = points.get(0).path("p50_ms").asDouble();
            double overloaded = points.get(2).path("p50_ms").asDouble();
            assertThat(calm).isBetween(20.0, 45.0);
            assertThat(overloaded).as("past the knee requests queue").isGreaterThan(3 * calm);
            assertThat(points.get(2).path("requests_per_s").asDouble()).isLessThan(56.0);
            assertThat(run.out()).contains("achieved").contains("of the asked 120");
            assertThat(Files.readString(html)).contains("<svg").contains("requests/s").doesNotContain("<script");
            assertThat(Json.mapper().readTree(Files.readString(json)).path("points")).hasSize(3);
        }
    }

    @Test
    void compareRunsBothSidesAndPrintsRatios() throws Exception {
        try (StandInServer a = StandInServer.start("a").delay(Duration.ofMillis(10));
             StandInServer b = StandInServer.start("b").delay(Duration.ofMillis(40))) {
            MeshCli.Run run = mesh("bench", "--url", a.baseUrl(), "--compare", b.baseUrl(), "--model", "m",
                    "--concurrency", "1", "--requests", "20", "--rounds", "2");
            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode ratio = run.result().path("compare").path("ratio");
            assertThat(ratio.path("p50_ms").asDouble()).isBetween(2.0, 4.5);
            assertThat(ratio.path("requests_per_s").asDouble()).isBetween(0.2, 0.5);
            assertThat(a.generationRequests()).isEqualTo(40);
            assertThat(b.generationRequests()).isEqualTo(40);
            assertThat(run.out()).contains("B/A:");
        }
    }

    @Test
    void theContractKeysComeFromEveryEndpointAndTheFullFormRunsAtARate() throws Exception {
        List<String> keys = List.of("requests", "errors", "requests_per_s", "p50_ms", "p99_ms", "ttft_p50_ms", "itl_p50_ms",
                "output_tokens_per_s");
        try (StandInServer server = StandInServer.start("every").delay(Duration.ofMillis(5))) {
            // the contract's form, whole: endpoint, rate, lengths and streaming in one command
            MeshCli.Run completions = mesh("bench", "--url", server.baseUrl(), "--endpoint", "completions", "--model", "m",
                    "--concurrency", "4", "--requests", "40", "--rate", "40", "--input-tokens", "12", "--output-tokens", "8",
                    "--stream");
            assertThat(completions.exit()).as(completions.err()).isZero();
            assertThat(completions.result().fieldNames()).toIterable().containsAll(keys);
            assertThat(completions.result().path("ttft_p50_ms").asDouble()).isPositive();
            assertThat(server.recorded().getLast().path()).isEqualTo("/v1/completions");
            assertThat(server.recorded().getLast().body().path("max_tokens").asInt()).isEqualTo(8);

            MeshCli.Run embeddings = mesh("bench", "--url", server.baseUrl(), "--endpoint", "embeddings", "--model", "e",
                    "--concurrency", "2", "--requests", "10", "--input-tokens", "5");
            assertThat(embeddings.exit()).as(embeddings.err()).isZero();
            assertThat(embeddings.result().fieldNames()).toIterable().containsAll(keys);
            assertThat(embeddings.result().path("input_tokens_per_s").asDouble()).isPositive();
        }
    }

    @Test
    void timeoutsAndBrokenStreamsAreCountedByKind() throws Exception {
        try (StandInServer hanging = StandInServer.start("hang").mode(StandInServer.Mode.HANG);
             StandInServer cutting = StandInServer.start("cut").mode(StandInServer.Mode.CUT_STREAM)) {
            MeshCli.Run silent = mesh("bench", "--url", hanging.baseUrl(), "--model", "m", "--requests", "2",
                    "--concurrency", "2", "--timeout", "0.5");
            assertThat(silent.result().path("errors_by_kind").path("timeout").asInt()).as(silent.out()).isEqualTo(2);
            MeshCli.Run cut = mesh("bench", "--url", cutting.baseUrl(), "--model", "m", "--requests", "3", "--stream");
            assertThat(cut.result().path("errors_by_kind").path("broken_stream").asInt()).as(cut.out()).isEqualTo(3);
            assertThat(cut.out()).contains("3 of 3 requests failed");
        }
    }

    @Test
    void embeddingsAndPromptFilesWork() throws Exception {
        try (StandInServer server = StandInServer.start("enc")) {
            MeshCli.Run embeddings = mesh("bench", "--url", server.baseUrl(), "--endpoint", "embeddings", "--model", "e",
                    "--requests", "10", "--input-tokens", "7");
            assertThat(embeddings.exit()).as(embeddings.err()).isZero();
            assertThat(embeddings.result().path("errors").asInt()).isZero();
            assertThat(server.recorded().getLast().path()).isEqualTo("/v1/embeddings");
            assertThat(server.recorded().getLast().body().path("input").asText().split(" ")).hasSize(7);

            Path prompts = dir.resolve("prompts.jsonl");
            Files.writeString(prompts, """
                    {"model":"ignored","messages":[{"role":"user","content":"first question"}]}
                    {"prompt":"second question"}
                    """);
            MeshCli.Run chat = mesh("bench", "--url", server.baseUrl(), "--model", "m", "--requests", "4", "--prompts",
                    prompts.toString(), "--output-tokens", "9");
            assertThat(chat.exit()).as(chat.err()).isZero();
            List<StandInServer.Recorded> sent = server.recorded().subList(server.recorded().size() - 4, server.recorded().size());
            assertThat(sent).extracting(r -> r.body().path("messages").get(0).path("content").asText())
                    .containsExactly("first question", "second question", "first question", "second question");
            assertThat(sent).allSatisfy(r -> {
                assertThat(r.body().path("model").asText()).isEqualTo("m");
                assertThat(r.body().path("max_tokens").asInt()).isEqualTo(9);
            });
        }
    }

    @Test
    void theAudioEndpointReportsAudioSecondsPerSecondAndTheEnginesRealTimeFactor() throws Exception {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                models:
                  - { id: asr, engine: vosk, hardware: { kind: cpu, cores: 2, watts: 35 } }
                """).withPort(0);
        Path wav = Files.write(dir.resolve("tone.wav"), Wavs.tone(16_000, 1, 4));
        try (Portfolio portfolio = Engines.open(config, Clock.systemUTC(), Runnable::run);
             Gateway gateway = Gateway.start(config.server(), portfolio, Router.over(config.routes(), portfolio),
                     Clock.systemUTC())) {
            {
                MeshCli.Run run = mesh("bench", "--url", "http://127.0.0.1:" + gateway.port() + "/v1", "--endpoint", "audio",
                        "--model", "asr", "--audio", wav.toString(), "--concurrency", "2", "--requests", "6");
                assertThat(run.exit()).as(run.err()).isZero();
                assertThat(run.out()).contains("/audio/transcriptions").contains("audio: ").contains("real-time factor");
                JsonNode result = run.result();
                assertThat(result.path("ok").asInt()).isEqualTo(6);
                // six 4-second recordings over the run's length
                assertThat(result.path("audio_seconds_per_s").asDouble())
                        .isCloseTo(24 / result.path("duration_s").asDouble(), org.assertj.core.api.Assertions.within(0.5));
                assertThat(result.path("real_time_factor").asDouble()).isPositive().isLessThan(1.0);
                assertThat(result.path("energy_wh").asDouble()).as("35 W over two cores while Vosk works").isPositive();
            }
        }
        assertThat(mesh("bench", "--url", "http://127.0.0.1:1/v1", "--model", "asr", "--endpoint", "audio").err())
                .contains("--endpoint audio needs --audio FILE.wav");
        assertThat(mesh("bench", "--url", "http://127.0.0.1:1/v1", "--model", "asr", "--endpoint", "audio", "--audio",
                dir.resolve("none.wav").toString()).err()).contains("cannot read --audio");
    }

    @Test
    void badInputIsOneLineWithExitStatus2() {
        assertThat(mesh("bench", "--url", "http://127.0.0.1:1/v1", "--model", "m", "--endpoint", "images").err())
                .contains("--endpoint must be chat, completions, embeddings, audio or route");
        MeshCli.Run zeroRate = mesh("bench", "--url", "http://127.0.0.1:1/v1", "--model", "m", "--rate", "0");
        assertThat(zeroRate.exit()).isEqualTo(2);
        assertThat(zeroRate.err().strip()).isEqualTo("mesh: --rate must be a positive number of requests per second, got 0.0");
        assertThat(mesh("bench", "--model", "m").err()).contains("give --url and --model");
        assertThat(mesh("bench", "--url", "ftp://x/v1", "--model", "m").err()).contains("is not an http(s) URL");
        assertThat(mesh("bench", "--synthetic-model", "granite-3-1b-a400m").err()).contains("mixture of experts");
    }

    @Test
    void aSyntheticModelIsWrittenServedByAWorkerAndMeasured() throws Exception {
        MeshCli.Run run = mesh("bench", "--synthetic-model", "layers=2,width=64,heads=4,kv-heads=2,ff=128",
                "--synthetic-type", "F32", "--synthetic-dir", dir.toString(), "--endpoint", "completions",
                "--requests", "6", "--concurrency", "2", "--output-tokens", "5", "--ignore-eos", "--stream");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode result = run.result();
        assertThat(result.path("errors").asInt()).isZero();
        // ignore_eos: every request generates exactly its 5 tokens
        assertThat(result.path("output_tokens_per_s").asDouble() * result.path("duration_s").asDouble())
                .isCloseTo(30.0, org.assertj.core.data.Offset.offset(0.5));
        assertThat(result.path("notes").toString()).contains("random weights");
        assertThat(run.out()).contains("answers are meaningless");
    }
}
