package io.micromesh.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.store.Journal;
import io.micromesh.testkit.FakeClock;
import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job runner against an OpenAI-compatible server (the test kit's stand-in) over HTTP: one output
 * line per input line, in order; retriable failures retried, honouring Retry-After; a resumed job
 * sends only what is not journaled.
 */
class BatchJobTest {

    @TempDir
    Path dir;
    private StandInServer server;
    private HttpItemSender sender;

    @BeforeEach
    void start() {
        server = StandInServer.start("batch-job");
        sender = new HttpItemSender(URI.create(server.baseUrl()), null, 8, Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        sender.close();
        server.close();
    }

    private static String input(int items) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < items; i++) {
            lines.append("{\"custom_id\": \"item-").append(i).append("\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\",")
                    .append(" \"body\": {\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"q").append(i)
                    .append("\"}]}}\n");
        }
        return lines.toString();
    }

    private BatchJob.Outcome run(String input, int maxAttempts, boolean resume) throws Exception {
        try (Journal journal = Journal.open(dir.resolve("out.jsonl.journal"), "in.jsonl", "sha", null, resume, new FakeClock())) {
            return new BatchJob(journal, sender, null, null, new BatchJob.Settings(4, maxAttempts, null, null, dir),
                    JobProgress.none()).run(InputLines.batchFile(input), dir.resolve("out.jsonl"));
        }
    }

    private List<JsonNode> output() throws Exception {
        return Files.readAllLines(dir.resolve("out.jsonl")).stream().map(l -> Json.parseObject(l.getBytes())).map(n -> (JsonNode) n)
                .toList();
    }

    @Test
    void everyInputLineGetsOneOutputLineInInputOrder() throws Exception {
        BatchJob.Outcome outcome = run(input(12) + "{broken\n", 1, false);
        assertThat(outcome).isInstanceOf(BatchJob.Outcome.Completed.class);
        List<JsonNode> lines = output();
        assertThat(lines).hasSize(13);
        for (int i = 0; i < 12; i++) {
            assertThat(lines.get(i).path("custom_id").asText()).isEqualTo("item-" + i);
            assertThat(lines.get(i).path("response").path("status_code").asInt()).isEqualTo(200);
            assertThat(lines.get(i).path("response").path("body").path("choices").isArray()).isTrue();
        }
        assertThat(lines.get(12).path("error").path("message").asText()).isEqualTo("line 13 is not a JSON object");
        assertThat(server.generationRequests()).isEqualTo(12);
        assertThat(server.recorded()).allSatisfy(r -> assertThat(r.headers()).containsEntry("x-mesh-priority", "batch"));
    }

    @Test
    void retriableFailuresAreRetriedUntilTheyPass() throws Exception {
        server.failEvery(3);
        run(input(20), 5, false);
        assertThat(output()).allSatisfy(line -> assertThat(line.path("error").isNull()).isTrue());
        assertThat(server.generationRequests()).isGreaterThan(20);
    }

    @Test
    void aRetryWaitsAtLeastWhatTheServerAskedAndTheLastFailureIsTheLine() throws Exception {
        server.mode(StandInServer.Mode.TOO_MANY_REQUESTS).retryAfter(Duration.ofSeconds(1));
        long start = System.nanoTime();
        run(input(1), 2, false);
        long waited = System.nanoTime() - start;
        assertThat(server.generationRequests()).isEqualTo(2);
        assertThat(waited).as("one wait of the Retry-After between the two attempts").isGreaterThanOrEqualTo(1_000_000_000L);
        JsonNode line = output().getFirst();
        assertThat(line.path("response").path("status_code").asInt()).isEqualTo(429);
        assertThat(line.path("error").path("code").asText()).isEqualTo("http_429");
        assertThat(line.path("error").path("message").asText()).endsWith("(after 2 attempts)");
    }

    @Test
    void aResumedJobSendsOnlyWhatIsNotJournaled() throws Exception {
        String text = input(6);
        List<JobItem> items = InputLines.batchFile(text);
        try (Journal journal = Journal.open(dir.resolve("out.jsonl.journal"), "in.jsonl", "sha", null, false, new FakeClock())) {
            journal.register(items.stream().map(i -> new Journal.Item(i.line(), i.key(), false, null)).toList());
            // as if a killed run had journaled the first four
            for (int line = 1; line <= 4; line++) {
                journal.complete(line, "{\"custom_id\":\"item-" + (line - 1) + "\",\"before\":true}", 1, 0, 0);
            }
        }
        run(text, 1, true);
        assertThat(server.generationRequests()).isEqualTo(2);
        List<JsonNode> lines = output();
        assertThat(lines).hasSize(6);
        assertThat(lines.subList(0, 4)).allMatch(l -> l.path("before").asBoolean());
        assertThat(lines.subList(4, 6)).extracting(l -> l.path("custom_id").asText()).containsExactly("item-4", "item-5");
    }
}
