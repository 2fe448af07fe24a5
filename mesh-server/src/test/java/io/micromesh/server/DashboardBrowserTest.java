package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: the dashboard in a real headless Chromium after known traffic: it loads without a console
 * message, lists every model and route, and shows the ledger's requests for each model. A screenshot
 * is left in {@code target/dashboard.png}.
 */
@Timeout(120)
class DashboardBrowserTest {

    private static final String MASTER = "dashboard-master-key-0123456789";

    @TempDir
    Path dir;

    private static HttpResponse<String> send(HttpClient http, String url, String key, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key);
        request = body == null ? request.GET() : request.header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Process chromium(String url, String... extra) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--enable-logging=stderr", "--v=0", "--user-data-dir=" + dir.resolve("profile-" + System.nanoTime()),
                "--virtual-time-budget=8000", "--window-size=1280,1600"));
        command.addAll(List.of(extra));
        command.add(url);
        return new ProcessBuilder(command).redirectError(dir.resolve("chromium-" + System.nanoTime() + ".err").toFile()).start();
    }

    /** Starts a batch of slow requests (200 ms each, one at a time) and waits until it is under way. */
    private static String runningBatch(String base) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            lines.append("{\"custom_id\": \"s").append(i).append("\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\","
                    + " \"body\": {\"model\": \"slow\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}}\n");
        }
        HttpClient http = HttpClient.newHttpClient();
        String form = "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--b\r\nContent-Disposition: form-data;"
                + " name=\"file\"; filename=\"slow.jsonl\"\r\n\r\n" + lines + "\r\n--b--\r\n";
        String fileId = Json.parseObject(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/files"))
                .header("Authorization", "Bearer " + MASTER).header("Content-Type", "multipart/form-data; boundary=b")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString()).body()
                .getBytes(StandardCharsets.UTF_8)).path("id").asText();
        String id = Json.parseObject(send(http, base + "/v1/batches", MASTER, "{\"input_file_id\": \"" + fileId
                + "\", \"endpoint\": \"/v1/chat/completions\", \"completion_window\": \"24h\"}").body()
                .getBytes(StandardCharsets.UTF_8)).path("id").asText();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline && Json.parseObject(send(http, base + "/v1/batches/" + id, MASTER, null).body()
                .getBytes(StandardCharsets.UTF_8)).path("request_counts").path("completed").asInt() < 1) {
            Thread.sleep(50);
        }
        return id;
    }

    @Test
    void theDashboardShowsTheModelsRoutesAndTheLedgersFigures() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/chromium")), "Chromium is not installed (.ci/run installs it)");
        try (StandInServer upstream = StandInServer.start("upstream").reply("a short answer");
             StandInServer slow = StandInServer.start("slow").delay(java.time.Duration.ofMillis(200)).capacity(1)) {
            MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                    server: { port: 0, master-key: %s, state-dir: "%s", access-log: false, batches: { concurrency: 1 } }
                    models:
                      - { id: small, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 1, output-per-mtok: 2 } }
                      - { id: large, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 10, output-per-mtok: 30 } }
                      - { id: slow, engine: openai, endpoints: ["%s"] }
                    routes:
                      - { name: auto, policy: fallback, candidates: [small, large] }
                    """.formatted(MASTER, dir.resolve("state"), upstream.baseUrl(), upstream.baseUrl(), slow.baseUrl()));
            try (MeshRuntime runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet());
                 HttpClient http = HttpClient.newHttpClient()) {
                Gateway gateway = runtime.serve(config.server());
                String base = "http://127.0.0.1:" + gateway.port();
                String key = Json.parseObject(send(http, base + "/admin/keys", MASTER,
                        "{\"name\": \"team-a\", \"budget\": {\"usd\": 1.0}}").body().getBytes(StandardCharsets.UTF_8)).path("key").asText();
                String chat = "{\"model\": \"%s\", \"messages\": [{\"role\": \"user\", \"content\": \"hello there\"}]}";
                for (int i = 0; i < 3; i++) {
                    assertThat(send(http, base + "/v1/chat/completions", key, chat.formatted("small")).statusCode()).isEqualTo(200);
                }
                for (int i = 0; i < 2; i++) {
                    assertThat(send(http, base + "/v1/chat/completions", MASTER, chat.formatted("auto")).statusCode()).isEqualTo(200);
                }
                assertThat(send(http, base + "/v1/chat/completions", MASTER, chat.formatted("large")).statusCode()).isEqualTo(200);
                assertThat(send(http, base + "/dashboard/data", "wrong", null).statusCode()).as("the figures need the key")
                        .isEqualTo(401);
                JsonNode ledger = Json.parseObject(send(http, base + "/v1/usage?group_by=model", MASTER, null).body()
                        .getBytes(StandardCharsets.UTF_8));
                String batchId = runningBatch(base);

                Process page = chromium(base + "/dashboard#key=" + MASTER, "--dump-dom");
                String dom = new String(page.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(page.waitFor(90, TimeUnit.SECONDS)).isTrue();
                assertThat(dom).contains("data-loaded=\"true\"");
                assertThat(dom).contains("data-model=\"small\"").contains("data-model=\"large\"").contains("data-route=\"auto\"");
                for (JsonNode row : ledger.path("data")) {
                    Matcher cell = Pattern.compile("data-group=\"model\" data-name=\"" + row.path("group").asText()
                            + "\"><td>[^<]*</td><td data-field=\"requests\">(\\d+)</td>").matcher(dom);
                    assertThat(cell.find()).as("a row for " + row.path("group").asText()).isTrue();
                    assertThat(Long.parseLong(cell.group(1))).isEqualTo(row.path("requests").asLong());
                }
                assertThat(dom).contains("team-a");
                assertThat(dom).as("the batch in progress").contains("data-batch=\"" + batchId + "\"");
                List<String> console = Files.list(dir).filter(p -> p.getFileName().toString().endsWith(".err"))
                        .flatMap(p -> {
                            try {
                                return Files.readAllLines(p).stream();
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        }).filter(line -> line.contains(":CONSOLE")).toList();
                assertThat(console).isEmpty();

                Path screenshot = Path.of("target/dashboard.png").toAbsolutePath();
                Files.deleteIfExists(screenshot);
                Process shot = chromium(base + "/dashboard#key=" + MASTER, "--screenshot=" + screenshot);
                assertThat(shot.waitFor(90, TimeUnit.SECONDS)).isTrue();
                assertThat(Files.size(screenshot)).as("the screenshot artifact").isPositive();
                // and at a phone's width
                Path phone = Path.of("target/dashboard-phone.png").toAbsolutePath();
                Files.deleteIfExists(phone);
                Process small = chromium(base + "/dashboard#key=" + MASTER, "--screenshot=" + phone, "--window-size=390,1400");
                assertThat(small.waitFor(90, TimeUnit.SECONDS)).isTrue();
                assertThat(Files.size(phone)).isPositive();
            }
        }
    }
}
