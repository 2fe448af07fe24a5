package io.micromesh.cli;

import static io.micromesh.cli.MeshCli.mesh;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.testkit.StandInServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mesh batch run} on a portfolio whose model is a stand-in for an upstream server that logs
 * every request: exactly one output line per input line, a poisoned line as an error line, and
 * exactly-once after kill -9 of the runner process at random points, then {@code --resume}. The job
 * runs its portfolio in process ({@code --config}, through the dispatcher) unless a test is about
 * {@code --url}, where the server is a real gateway ({@code mesh serve}).
 */
@Timeout(300)
class BatchRunCommandTest {

    @TempDir
    Path dir;
    private StandInServer backend;

    private Path config;

    @BeforeEach
    void start() throws Exception {
        backend = StandInServer.start("batch-backend").reply("ok");
        // the same upstream under two names: plain batch lines ask for m, tasks for batch-backend
        config = Files.writeString(dir.resolve("portfolio.yaml"), """
                models:
                  - { id: m, engine: openai, endpoints: ["%1$s"] }
                  - { id: batch-backend, engine: openai, endpoints: ["%1$s"] }
                """.formatted(backend.baseUrl()));
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    private Path input(int items, boolean poisoned) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < items; i++) {
            if (poisoned && i == 3) {
                lines.append("{this is not json\n");
                continue;
            }
            lines.append("{\"custom_id\": \"item-").append(i).append("\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\",")
                    .append(" \"body\": {\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"question ").append(i)
                    .append("\"}]}}\n");
        }
        return Files.writeString(dir.resolve("input.jsonl"), lines.toString());
    }

    /** How many requests the upstream received per item (its question, "question N", names it). */
    private Map<String, Integer> sent() {
        Map<String, Integer> counts = new HashMap<>();
        backend.recorded().forEach(r -> counts.merge(
                "item-" + r.body().path("messages").path(0).path("content").asText("?").replace("question ", ""), 1, Integer::sum));
        return counts;
    }

    private static List<JsonNode> lines(Path file) throws Exception {
        return Files.readAllLines(file).stream().map(l -> {
            try {
                return Json.mapper().readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).toList();
    }

    @Test
    void everyLineGetsOneOutputLineAndAPoisonedLineAnError() throws Exception {
        Path in = input(20, true);
        Path out = dir.resolve("out.jsonl");
        MeshCli.Run run = mesh("batch", "run", in.toString(), "--out", out.toString(), "--config", config.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        List<JsonNode> results = lines(out);
        assertThat(results).hasSize(20);
        assertThat(results.get(0).path("custom_id").asText()).isEqualTo("item-0");
        assertThat(results.get(0).path("response").path("body").path("choices").path(0).path("message").path("content").asText())
                .isEqualTo("ok");
        assertThat(results.get(3).path("error").path("message").asText()).contains("line 4 is not a JSON object");
        assertThat(sent()).hasSize(19).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
        JsonNode report = Json.mapper().readTree(Files.readString(dir.resolve("out.jsonl.report.json")));
        assertThat(report.path("items").asInt()).isEqualTo(20);
        assertThat(report.path("succeeded").asInt()).isEqualTo(19);
        assertThat(report.path("failures_by_kind").path("invalid_request").asInt()).isEqualTo(1);
        assertThat(report.path("items_by_model").path("m").asInt()).isEqualTo(19);
        assertThat(report.path("completion_tokens").asLong()).isEqualTo(19);  // the stand-in's one-word answer
        assertThat(Files.readString(dir.resolve("out.jsonl.report.html"))).contains("<svg").contains("items by model");
    }

    @Test
    void viaTheBatchApiAGatewaysEngineRunsTheFileAndTheOutputKeepsInputOrder() throws Exception {
        io.micromesh.core.config.MeshConfig mesh = io.micromesh.core.config.ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { port: 0, state-dir: "%s", access-log: false }
                models:
                  - { id: m, engine: openai, endpoints: ["%s"] }
                """.formatted(dir.resolve("gateway-state"), backend.baseUrl()));
        try (io.micromesh.server.MeshRuntime gateway = io.micromesh.server.MeshRuntime.open(mesh,
                io.micromesh.server.MeshRuntime.Options.quiet())) {
            String url = "http://127.0.0.1:" + gateway.serve(mesh.server()).port() + "/v1";
            Path in = input(30, false);
            Path out = dir.resolve("via-api.jsonl");
            MeshCli.Run run = mesh("batch", "run", in.toString(), "--out", out.toString(), "--url", url, "--via-batch-api");
            assertThat(run.exit()).as(run.err()).isZero();
            List<JsonNode> results = lines(out);
            assertThat(results).hasSize(30);
            for (int i = 0; i < 30; i++) {
                assertThat(results.get(i).path("custom_id").asText()).as("input order").isEqualTo("item-" + i);
                assertThat(results.get(i).path("response").path("status_code").asInt()).isEqualTo(200);
            }
            assertThat(sent()).hasSize(30).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            assertThat(Json.mapper().readTree(Files.readString(dir.resolve("via-api.jsonl.report.json"))).path("succeeded")
                    .asInt()).isEqualTo(30);
            String batchId = Files.readString(dir.resolve("via-api.jsonl.batch")).strip();
            assertThat(batchId).startsWith("batch_");

            MeshCli.Run again = mesh("batch", "run", in.toString(), "--out", out.toString(), "--url", url, "--via-batch-api");
            assertThat(again.exit()).isEqualTo(2);
            assertThat(again.err()).contains("--resume");
            MeshCli.Run resumed = mesh("batch", "run", in.toString(), "--out", out.toString(), "--url", url, "--via-batch-api",
                    "--resume");
            assertThat(resumed.exit()).as(resumed.err()).isZero();
            assertThat(lines(out)).hasSize(30);
            assertThat(sent()).as("following the same batch sends nothing again").hasSize(30)
                    .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));

            MeshCli.Run noUrl = mesh("batch", "run", in.toString(), "--out", dir.resolve("x.jsonl").toString(), "--via-batch-api");
            assertThat(noUrl.exit()).isEqualTo(2);
            assertThat(noUrl.err()).contains("give --url");
        }
    }

    @Test
    void withoutUrlThePortfolioOfTheConfigurationRunsInProcess() throws Exception {
        Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                models:
                  - { id: m, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 2 } }
                """.formatted(backend.baseUrl()));
        Path in = input(10, false);
        Path out = dir.resolve("out.jsonl");
        MeshCli.Run run = mesh("batch", "run", in.toString(), "--out", out.toString(), "--config", config.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        List<JsonNode> results = lines(out);
        assertThat(results).hasSize(10);
        JsonNode usage = results.getFirst().path("response").path("body").path("usage");
        assertThat(usage.path("cost_usd").asDouble()).as("answered through micromesh's dispatcher, which charges").isPositive();
        assertThat(backend.recorded().getFirst().headers()).doesNotContainKey("x-mesh-item-id");
        assertThat(mesh("batch", "run", in.toString(), "--out", dir.resolve("x.jsonl").toString(), "--config", config.toString(),
                "--url", backend.baseUrl()).err()).contains("give one of them");
    }

    @Test
    void aTaskRendersRecordsAndChecksItselfBeforeStarting() throws Exception {
        backend.reply("{\"summary\": \"the parcel is late\"}");
        Path task = Files.writeString(dir.resolve("summary.yaml"), """
                name: summary
                route: batch-backend
                fields: [transcript]
                system: You summarise customer calls.
                prompt: "Summarise this call in one sentence: {{transcript}}"
                output-schema: { type: object, properties: { summary: { type: string } }, required: [summary] }
                max-tokens: 60
                """);
        Path in = Files.writeString(dir.resolve("calls.jsonl"), """
                {"id": "c1", "transcript": "Customer: where is my parcel? Agent: it is late, sorry & thanks."}
                {"id": "c2", "language": "en"}
                {"id": 3, "transcript": "Customer: thanks"}
                """);
        Path out = dir.resolve("summaries.jsonl");
        MeshCli.Run run = mesh("batch", "run", in.toString(), "--out", out.toString(), "--config", config.toString(),
                "--task", task.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        List<JsonNode> results = lines(out);
        assertThat(results).hasSize(3);
        assertThat(results.get(0).path("id").asText()).isEqualTo("c1");
        assertThat(results.get(0).path("output").path("summary").asText()).isEqualTo("the parcel is late");
        assertThat(results.get(0).path("model").asText()).isEqualTo("batch-backend");
        assertThat(results.get(1).path("error").path("message").asText()).contains("no field 'transcript'");
        assertThat(results.get(2).path("id").asText()).isEqualTo("3");
        // requests go out concurrently: find record c1's among them
        JsonNode sentBody = backend.recorded().stream().map(r -> r.body())
                .filter(b -> b.path("messages").path(1).path("content").asText().contains("parcel")).findFirst().orElseThrow();
        assertThat(sentBody.path("messages").path(1).path("content").asText())
                .isEqualTo("Summarise this call in one sentence: Customer: where is my parcel? Agent: it is late, sorry & thanks.");
        assertThat(sentBody.path("response_format").path("json_schema").path("schema").path("required").get(0).asText())
                .isEqualTo("summary");

        int sent = backend.generationRequests();
        Path unknownRoute = Files.writeString(dir.resolve("bad-route.yaml"), Files.readString(task).replace("route: batch-backend", "route: nope"));
        MeshCli.Run refused = mesh("batch", "run", in.toString(), "--out", dir.resolve("x.jsonl").toString(),
                "--config", config.toString(), "--task", unknownRoute.toString());
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("route 'nope' is not a model or route");
        Path unknownField = Files.writeString(dir.resolve("bad-field.yaml"), Files.readString(task).replace("{{transcript}}", "{{transcript}} {{agent_name}}"));
        MeshCli.Run badField = mesh("batch", "run", in.toString(), "--out", dir.resolve("y.jsonl").toString(),
                "--config", config.toString(), "--task", unknownField.toString());
        assertThat(badField.exit()).isEqualTo(2);
        assertThat(badField.err()).contains("uses field 'agent_name', which is not in fields or an earlier step's output [transcript]");
        assertThat(backend.generationRequests()).as("nothing sent by refused tasks").isEqualTo(sent);
    }

    @Test
    void aTasksStepsRunBeforeTheModelOrInsteadOfIt() throws Exception {
        backend.reply("{\"urgent\": \"no\"}");
        String steps = """
                name: triage
                fields: [message]
                steps:
                  - step: classify
                    as: topic
                    text: "{{message}}"
                    labels:
                      billing: ["I was charged twice", "please refund my invoice"]
                      shipping: ["where is my package", "my order has not arrived"]
                """;
        Path withModel = Files.writeString(dir.resolve("triage.yaml"), steps + """
                route: batch-backend
                prompt: "Is this {{topic}} message urgent? {{message}}"
                output-schema: { type: object, properties: { urgent: { type: string } }, required: [urgent] }
                """);
        Path in = Files.writeString(dir.resolve("messages.jsonl"), """
                {"id": "a", "message": "you billed my card two times, refund it"}
                {"id": "b", "message": "the parcel is lost, where is it"}
                """);
        Path out = dir.resolve("triage.jsonl");
        MeshCli.Run run = mesh("batch", "run", in.toString(), "--out", out.toString(), "--config", config.toString(),
                "--task", withModel.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        List<JsonNode> results = lines(out);
        assertThat(results.get(0).path("output").path("topic").asText()).isEqualTo("billing");
        assertThat(results.get(1).path("output").path("topic").asText()).isEqualTo("shipping");
        assertThat(results.get(0).path("output").path("urgent").asText()).isEqualTo("no");
        assertThat(results.get(0).path("provenance").path("topic").path("by").asText()).isEqualTo("step:classify");
        assertThat(results.get(0).path("provenance").path("urgent").path("by").asText()).isEqualTo("model:batch-backend");
        assertThat(backend.recorded().stream().map(r -> r.body().path("messages").path(0).path("content").asText()))
                .contains("Is this billing message urgent? you billed my card two times, refund it");
        assertThat(run.err()).as("the last progress line").contains("2 of 2 (100%)").contains("tokens/s").contains("Wh");
        JsonNode report = Json.mapper().readTree(Files.readString(dir.resolve("triage.jsonl.report.json")));
        assertThat(report.path("fields_by_producer").path("step:classify").asInt()).isEqualTo(2);
        assertThat(report.path("fields_by_producer").path("model:batch-backend").asInt()).isEqualTo(2);

        int sent = backend.generationRequests();
        Path stepsOnly = Files.writeString(dir.resolve("topics.yaml"), steps.replace("name: triage", "name: topics"));
        Path topics = dir.resolve("topics.jsonl");
        MeshCli.Run alone = mesh("batch", "run", in.toString(), "--out", topics.toString(), "--config", config.toString(),
                "--task", stepsOnly.toString());
        assertThat(alone.exit()).as(alone.err()).isZero();
        assertThat(backend.generationRequests()).as("no model asked").isEqualTo(sent);
        assertThat(lines(topics).get(1).path("output").path("topic").asText()).isEqualTo("shipping");
        assertThat(lines(topics).get(1).path("model").isNull()).isTrue();
        JsonNode split = Json.mapper().readTree(Files.readString(dir.resolve("topics.jsonl.report.json")));
        assertThat(split.path("items_by_model").path("(steps only)").asInt()).isEqualTo(2);

        Path unknownStep = Files.writeString(dir.resolve("unknown.yaml"), steps.replace("step: classify", "step: astrology"));
        MeshCli.Run refused = mesh("batch", "run", in.toString(), "--out", dir.resolve("z.jsonl").toString(),
                "--config", config.toString(), "--task", unknownStep.toString());
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("unknown step 'astrology'");
    }

    @Test
    void aBuiltInTaskRunsByNameWithTheRouteGiven() throws Exception {
        backend.reply("{\"summary\": \"a parcel is late\"}");
        Path in = Files.writeString(dir.resolve("texts.jsonl"), "{\"id\": \"t1\", \"text\": \"Customer: my parcel is late.\"}\n");
        Path out = dir.resolve("summaries.jsonl");
        MeshCli.Run auto = mesh("batch", "run", in.toString(), "--out", out.toString(), "--config", config.toString(),
                "--task", "summarize");
        assertThat(auto.exit()).as("the built-in's route, auto, is not in the portfolio").isEqualTo(2);
        assertThat(auto.err()).contains("route 'auto' is not a model or route").contains("batch-backend");
        MeshCli.Run run = mesh("batch", "run", in.toString(), "--out", out.toString(), "--config", config.toString(),
                "--task", "summarize", "--route", "batch-backend", "--resume");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(lines(out).getFirst().path("output").path("summary").asText()).isEqualTo("a parcel is late");
        assertThat(backend.recorded().getLast().body().path("messages").path(1).path("content").asText())
                .endsWith("Customer: my parcel is late.");
        MeshCli.Run unknown = mesh("batch", "run", in.toString(), "--out", dir.resolve("u.jsonl").toString(),
                "--config", config.toString(), "--task", "horoscope");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("no built-in task of that name").contains("[call-insights, summarize, quantities]");
    }

    @Test
    void aJournalIsNeitherReusedWithoutResumeNorForAnotherInput() throws Exception {
        Path in = input(5, false);
        Path out = dir.resolve("out.jsonl");
        assertThat(mesh("batch", "run", in.toString(), "--out", out.toString(), "--config", config.toString()).exit()).isZero();
        MeshCli.Run again = mesh("batch", "run", in.toString(), "--out", out.toString(), "--config", config.toString());
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("a journal of an earlier run exists").contains("--resume");
        Path other = Files.writeString(dir.resolve("other.jsonl"), Files.readString(in).replace("question 1", "question one"));
        byte[] journal = Files.readAllBytes(Path.of(out + ".journal"));
        MeshCli.Run foreign = mesh("batch", "run", other.toString(), "--out", out.toString(), "--config", config.toString(), "--resume");
        assertThat(foreign.exit()).isEqualTo(2);
        assertThat(foreign.err()).contains("belongs to another input");
        assertThat(Files.readAllBytes(Path.of(out + ".journal"))).as("left as it is").isEqualTo(journal);
        Path garbage = Files.writeString(dir.resolve("garbage.jsonl.journal"), "not a database");
        MeshCli.Run corrupt = mesh("batch", "run", in.toString(), "--out", dir.resolve("garbage.jsonl").toString(),
                "--config", config.toString(), "--resume");
        assertThat(corrupt.exit()).isEqualTo(2);
        assertThat(corrupt.err()).contains("is not a journal");
        assertThat(Files.readString(garbage)).isEqualTo("not a database");
        // resuming a finished job sends nothing again
        int before = backend.generationRequests();
        assertThat(mesh("batch", "run", in.toString(), "--out", out.toString(), "--config", config.toString(), "--resume").exit())
                .isZero();
        assertThat(backend.generationRequests()).isEqualTo(before);
    }

    @Test
    void aBudgetStopsTheJobResumably() throws Exception {
        // through a gateway, so that answers carry usage.cost_usd: 1 dollar per million prompt tokens
        Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                server: { port: 0 }
                models:
                  - { id: m, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 1000000 } }
                """.formatted(backend.baseUrl()));
        Process gateway = new ProcessBuilder(MeshProcess.command("serve", "--config", config.toString()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String url = MeshProcess.awaitListening(gateway) + "/v1";
            Path in = input(30, false);
            Path out = dir.resolve("out.jsonl");
            // each answer costs a few dollars (a few prompt tokens at $1 each): $10 stops the job early
            MeshCli.Run stopped = mesh("batch", "run", in.toString(), "--out", out.toString(), "--url", url,
                    "--concurrency", "1", "--max-cost-usd", "10");
            assertThat(stopped.exit()).as(stopped.err()).isEqualTo(3);
            assertThat(stopped.err()).contains("stopped: the cost reached").contains("--resume");
            assertThat(Files.exists(out)).as("no partial output").isFalse();
            int sentBefore = backend.generationRequests();
            assertThat(sentBefore).isBetween(1, 29);
            MeshCli.Run resumed = mesh("batch", "run", in.toString(), "--out", out.toString(), "--url", url, "--resume");
            assertThat(resumed.exit()).as(resumed.err()).isZero();
            assertThat(lines(out)).hasSize(30);
            assertThat(backend.generationRequests()).as("nothing journaled is sent again").isEqualTo(30);
        } finally {
            gateway.destroy();
            gateway.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void killedAtRandomPointsAndResumedTheOutputHasEveryLineOnce() throws Exception {
        backend.delay(Duration.ofMillis(20));
        int items = 300;
        int concurrency = 8;
        Path in = input(items, false);
        Path out = dir.resolve("out.jsonl");
        Random random = new Random(42);
        int kills = 0;
        for (int round = 0; round < 3; round++) {
            List<String> command = MeshProcess.command("batch", "run", in.toString(), "--out", out.toString(),
                    "--config", config.toString(), "--concurrency", String.valueOf(concurrency), "--resume");
            Process runner = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("run" + round + ".log").toFile()).start();
            int target = backend.generationRequests() + 20 + random.nextInt(40);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (backend.generationRequests() < target && runner.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            if (runner.isAlive()) {
                runner.destroyForcibly();  // SIGKILL: no shutdown hook, no flush
                kills++;
            }
            runner.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(kills).as("the runner was killed mid-job").isGreaterThan(0);
        Process last = new ProcessBuilder(MeshProcess.command("batch", "run", in.toString(), "--out", out.toString(),
                "--config", config.toString(), "--concurrency", String.valueOf(concurrency), "--resume"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("last.log").toFile()).start();
        assertThat(last.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(last.exitValue()).as(Files.readString(dir.resolve("last.log"))).isZero();

        List<JsonNode> results = lines(out);
        assertThat(results).hasSize(items);
        for (int i = 0; i < items; i++) {
            assertThat(results.get(i).path("custom_id").asText()).isEqualTo("item-" + i);
            assertThat(results.get(i).path("response").path("status_code").asInt()).isEqualTo(200);
        }
        Map<String, Integer> sent = sent();
        assertThat(sent).hasSize(items);
        long repeated = sent.values().stream().filter(n -> n > 1).count();
        assertThat(repeated).as("only items in flight at a kill are sent twice").isLessThanOrEqualTo((long) kills * concurrency);
        int mostSends = 1 + kills;
        assertThat(sent.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(mostSends));
    }
}
