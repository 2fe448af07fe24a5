package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.testkit.PostgresServer;
import io.micromesh.testkit.StandInServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Keys, budgets and limits through real gateways: the admin API behind the master key, a key's
 * models, its usage only, its budget as a 429 naming it, rate limits with Retry-After, and — on two
 * gateway instances sharing a real PostgreSQL — a revoked key refused by the other instance, a
 * hundred concurrent requests that never overspend, and budgeted keys failing closed (503) while
 * the others are served when the store is down.
 */
@Timeout(180)
class KeysAndBudgetsTest {

    private static final String MASTER = "master-key-for-tests-0123456789";
    private static PostgresServer postgres;

    @TempDir
    Path state;

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<MeshRuntime> runtimes = new ArrayList<>();
    private StandInServer upstream;

    @AfterEach
    void stop() {
        runtimes.forEach(MeshRuntime::close);
        if (upstream != null) {
            upstream.close();
        }
        http.close();
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    /** A gateway with a master key over a stand-in priced at $1 per million tokens either way. */
    private Gateway gateway(String store) {
        if (upstream == null) {
            upstream = StandInServer.start("upstream").reply("five words in this answer");
        }
        MeshConfig config = ConfigLoader.withEnvironment(Map.of("MASTER", MASTER)).parse("""
                server: { port: 0, master-key: "${MASTER}", state-dir: "%s", access-log: false }
                %s
                models:
                  - { id: small, engine: openai, endpoints: ["%s"], context: 1000,
                      price: { input-per-mtok: 1000, output-per-mtok: 1000 } }
                  - { id: large, engine: openai, endpoints: ["%s"] }
                """.formatted(state, store, upstream.baseUrl(), upstream.baseUrl()));
        MeshRuntime runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet());
        runtimes.add(runtime);
        return runtime.serve(config.server());
    }

    private HttpResponse<String> send(Gateway gateway, String method, String path, String key, String body) throws Exception {
        return send(gateway, method, path, key, body, Map.of());
    }

    private HttpResponse<String> send(Gateway gateway, String method, String path, String key, String body,
                                      Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> chat(Gateway gateway, String key, String model, int maxTokens) throws Exception {
        return send(gateway, "POST", "/v1/chat/completions", key, "{\"model\": \"" + model + "\", \"max_tokens\": " + maxTokens
                + ", \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}");
    }

    private static JsonNode json(HttpResponse<String> response) {
        return Json.parseObject(response.body().getBytes(StandardCharsets.UTF_8));
    }

    private String issue(Gateway gateway, String body) throws Exception {
        HttpResponse<String> created = send(gateway, "POST", "/admin/keys", MASTER, body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return json(created).path("key").asText();
    }

    @Test
    void theAdminApiIssuesKeysThatAreHeldToTheirGrant() throws Exception {
        Gateway gateway = gateway("");
        assertThat(send(gateway, "POST", "/admin/keys", null, "{\"name\": \"x\"}").statusCode()).isEqualTo(401);
        assertThat(send(gateway, "GET", "/admin/keys", "sk-mesh-guess", null).statusCode()).isEqualTo(401);
        HttpResponse<String> bad = send(gateway, "POST", "/admin/keys", MASTER, "{\"name\": \"x\", \"budget\": {\"period\": \"week\"}}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).path("error").path("param").asText()).isEqualTo("budget.period");
        assertThat(send(gateway, "POST", "/admin/keys", MASTER, "{\"name\": \"x\", \"models\": [\"gpt-5\"]}").statusCode())
                .isEqualTo(400);

        HttpResponse<String> created = send(gateway, "POST", "/admin/keys", MASTER, "{\"name\": \"team-a\", \"budget\": {\"usd\":"
                + " 0.15, \"period\": \"day\"}, \"limits\": {\"rpm\": 600}, \"models\": [\"small\"]}");
        assertThat(created.statusCode()).isEqualTo(201);
        String key = json(created).path("key").asText();
        String id = json(created).path("id").asText();
        assertThat(key).startsWith("sk-mesh-");

        assertThat(chat(gateway, null, "small", 10).statusCode()).as("no key").isEqualTo(401);
        assertThat(chat(gateway, key, "small", 10).statusCode()).isEqualTo(200);
        HttpResponse<String> forbidden = chat(gateway, key, "large", 10);
        assertThat(forbidden.statusCode()).isEqualTo(403);
        assertThat(json(forbidden).path("error").path("code").asText()).isEqualTo("model_not_allowed");

        // $1000 per million tokens: a request may cost its body's bytes (about 90) plus max_tokens as tokens, so
        // max_tokens 10 reserves about $0.10 of the $0.15 budget and 200 about $0.29, more than is left
        HttpResponse<String> over = chat(gateway, key, "small", 200);
        assertThat(over.statusCode()).isEqualTo(429);
        assertThat(json(over).path("error").path("code").asText()).isEqualTo("budget_exceeded");
        assertThat(json(over).path("error").path("message").asText()).contains("daily budget");

        String other = issue(gateway, "{\"name\": \"team-b\"}");
        assertThat(chat(gateway, other, "large", 10).statusCode()).isEqualTo(200);
        JsonNode ownUsage = json(send(gateway, "GET", "/v1/usage?group_by=key", other, null));
        assertThat(ownUsage.path("data")).hasSize(1);
        assertThat(ownUsage.path("data").get(0).path("requests").asLong()).isEqualTo(1);
        JsonNode allUsage = json(send(gateway, "GET", "/v1/usage?group_by=key", MASTER, null));
        assertThat(allUsage.path("data").size()).isGreaterThanOrEqualTo(2);

        JsonNode listed = json(send(gateway, "GET", "/admin/keys", MASTER, null));
        assertThat(listed.toString()).doesNotContain(key.substring(12)).doesNotContain(other.substring(12));
        JsonNode teamA = json(send(gateway, "GET", "/admin/keys/" + id, MASTER, null));
        assertThat(teamA.path("spend").path("usd").asDouble()).isPositive().isLessThanOrEqualTo(0.15);

        assertThat(send(gateway, "DELETE", "/admin/keys/" + id, MASTER, null).statusCode()).isEqualTo(200);
        assertThat(chat(gateway, key, "small", 10).statusCode()).as("revoked").isEqualTo(401);
        assertThat(send(gateway, "DELETE", "/admin/keys/key_0000000000000000", MASTER, null).statusCode()).isEqualTo(404);
    }

    @Test
    void aKeyOverItsRateGetsA429WithRetryAfter() throws Exception {
        Gateway gateway = gateway("");
        String key = issue(gateway, "{\"name\": \"bursty\", \"limits\": {\"rpm\": 2}}");
        assertThat(chat(gateway, key, "large", 10).statusCode()).isEqualTo(200);
        assertThat(chat(gateway, key, "large", 10).statusCode()).isEqualTo(200);
        HttpResponse<String> limited = chat(gateway, key, "large", 10);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(json(limited).path("error").path("code").asText()).isEqualTo("rate_limited");
        assertThat(limited.headers().firstValue("Retry-After")).hasValueSatisfying(
                seconds -> assertThat(Integer.parseInt(seconds)).isBetween(1, 60));
    }

    @Test
    void anAgentWorkflowIsStoppedAtItsCap() throws Exception {
        Gateway gateway = gateway("");
        String key = issue(gateway, "{\"name\": \"agent\"}");
        // each call may cost about $0.10 (see above) and costs about $0.01: a $0.25 cap takes a few, then refuses
        int answered = 0;
        HttpResponse<String> refused = null;
        for (int i = 0; i < 40 && refused == null; i++) {
            HttpResponse<String> answer = send(gateway, "POST", "/v1/chat/completions", key, "{\"model\": \"small\","
                    + " \"max_tokens\": 10, \"messages\": [{\"role\": \"user\", \"content\": \"step\"}]}", Map.of(
                    "x-mesh-workflow", "task-7", "x-mesh-workflow-budget-usd", "0.25"));
            if (answer.statusCode() == 200) {
                answered++;
            } else {
                refused = answer;
            }
        }
        assertThat(refused).as("the cap stops the workflow").isNotNull();
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(json(refused).path("error").path("message").asText()).contains("workflow 'task-7'");
        assertThat(answered).isGreaterThanOrEqualTo(2);
        JsonNode usage = json(send(gateway, "GET", "/v1/usage?group_by=workflow", key, null));
        double spent = 0;
        for (JsonNode row : usage.path("data")) {
            if (row.path("group").asText().equals("task-7")) {
                spent = row.path("cost_usd").asDouble();
            }
        }
        assertThat(spent).isPositive().isLessThanOrEqualTo(0.25);

        HttpResponse<String> noWorkflow = send(gateway, "POST", "/v1/chat/completions", key, "{\"model\": \"small\","
                + " \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", Map.of("x-mesh-workflow-budget-usd", "1"));
        assertThat(noWorkflow.statusCode()).isEqualTo(400);
        HttpResponse<String> notANumber = send(gateway, "POST", "/v1/chat/completions", key, "{\"model\": \"small\","
                + " \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
                Map.of("x-mesh-workflow", "w", "x-mesh-workflow-budget-usd", "lots"));
        assertThat(notANumber.statusCode()).isEqualTo(400);
        assertThat(notANumber.body()).contains("x-mesh-workflow-budget-usd");
    }

    private String postgresStore() {
        assumeTrue(PostgresServer.available(), "PostgreSQL is not installed (.ci/run installs it)");
        if (postgres == null) {
            postgres = PostgresServer.start();
        }
        return "store: { url: \"" + postgres.jdbcUrl() + "\", user: " + postgres.user() + ", pool-size: 20 }";
    }

    private void emptyPostgres() throws Exception {
        try (var c = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
             Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA public CASCADE");
            st.execute("CREATE SCHEMA public");
        }
    }

    @Test
    void twoInstancesSharingPostgresqlShareKeysAndNeverOverspend() throws Exception {
        String store = postgresStore();
        emptyPostgres();
        Gateway one = gateway(store);
        Gateway other = gateway(store);
        // a budget of $0.30; each request may cost up to about $0.06 (about 50 body bytes and 10 tokens at $1000/Mtok)
        HttpResponse<String> created = send(one, "POST", "/admin/keys", MASTER, "{\"name\": \"fan-out\", \"budget\": {\"usd\": 0.30}}");
        String key = json(created).path("key").asText();
        String id = json(created).path("id").asText();
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<Thread> agents = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Gateway gateway = i % 2 == 0 ? one : other;
            agents.add(Thread.ofVirtual().start(() -> {
                try {
                    start.await();
                    HttpResponse<String> answer = chat(gateway, key, "small", 10);
                    if (answer.statusCode() == 200) {
                        ok.incrementAndGet();
                    } else if (answer.statusCode() == 429 && answer.body().contains("budget_exceeded")) {
                        refused.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }));
        }
        start.countDown();
        for (Thread agent : agents) {
            agent.join();
        }
        assertThat(ok.get() + refused.get()).isEqualTo(100);
        assertThat(ok.get()).isPositive();
        JsonNode spend = json(send(other, "GET", "/admin/keys/" + id, MASTER, null)).path("spend");
        assertThat(spend.path("usd").asDouble()).isLessThanOrEqualTo(0.30 + 1e-9).isPositive();
        assertThat(spend.path("reserved_usd").asDouble()).isCloseTo(0, org.assertj.core.api.Assertions.within(1e-9));

        assertThat(send(one, "DELETE", "/admin/keys/" + id, MASTER, null).statusCode()).isEqualTo(200);
        assertThat(chat(other, key, "small", 10).statusCode()).as("revoked on the other instance").isEqualTo(401);

        String budgeted = issue(one, "{\"name\": \"budgeted\", \"budget\": {\"usd\": 10}}");
        String free = issue(one, "{\"name\": \"free\"}");
        assertThat(chat(other, budgeted, "small", 10).statusCode()).isEqualTo(200);
        assertThat(chat(other, free, "small", 10).statusCode()).isEqualTo(200);
        postgres.stop();
        try {
            HttpResponse<String> closed = chat(other, budgeted, "small", 10);
            assertThat(closed.statusCode()).as(closed.body()).isEqualTo(503);
            assertThat(json(closed).path("error").path("code").asText()).isEqualTo("store_unavailable");
            assertThat(chat(other, free, "small", 10).statusCode()).as("a key without budgets is served").isEqualTo(200);
            HttpResponse<String> usage = send(other, "GET", "/v1/usage", MASTER, null);
            assertThat(usage.statusCode()).as("reading the ledger: " + usage.body()).isEqualTo(503);
            assertThat(json(usage).path("error").path("code").asText()).isEqualTo("store_unavailable");
            assertThat(usage.headers().firstValue("Retry-After")).isPresent();
            assertThat(send(other, "GET", "/admin/keys", MASTER, null).statusCode()).isEqualTo(503);
        } finally {
            postgres.restart();
        }
    }
}
