package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.server.Gateway;
import io.micromesh.server.MeshRuntime;
import io.micromesh.testkit.StandInServer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code mesh usage} against a running gateway with a key: the table, the JSON, and one-line errors. */
@Timeout(120)
class UsageCommandTest {

    @TempDir
    Path state;

    private StandInServer upstream;
    private MeshRuntime runtime;
    private Gateway gateway;

    @BeforeEach
    void start() throws Exception {
        upstream = StandInServer.start("upstream").reply("an answer");
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { port: 0, api-key: sk-test, state-dir: "%s", access-log: false }
                models:
                  - { id: small, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 1, output-per-mtok: 2 } }
                """.formatted(state, upstream.baseUrl()));
        runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet());
        gateway = runtime.serve(config.server());
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(url() + "/v1/chat/completions"))
                        .header("Authorization", "Bearer sk-test").header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\": \"small\", \"messages\": [{\"role\": \"user\", \"content\": \"hello there\"}]}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).isEqualTo(200);
            }
        }
    }

    @AfterEach
    void stop() {
        runtime.close();
        upstream.close();
    }

    private String url() {
        return "http://127.0.0.1:" + gateway.port();
    }

    @Test
    void theTableHasAModelRowAndATotal() {
        MeshCli.Run run = MeshCli.mesh("usage", "--url", url(), "--key", "sk-test");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("usage by model");
        String row = run.out().lines().filter(line -> line.startsWith("small ")).findFirst().orElseThrow();
        assertThat(row.split("\\s+")[1]).isEqualTo("2");
        assertThat(run.out().lines().filter(line -> line.startsWith("TOTAL ")).findFirst().orElseThrow().split("\\s+")[1])
                .isEqualTo("2");
    }

    @Test
    void jsonIsTheGatewaysAnswer() throws Exception {
        MeshCli.Run run = MeshCli.mesh("usage", "--url", url() + "/v1", "--key", "sk-test", "--group-by", "key", "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode body = Json.mapper().readTree(run.out());
        assertThat(body.path("data").get(0).path("group").asText()).isEqualTo("master");
        assertThat(body.path("data").get(0).path("requests").asLong()).isEqualTo(2);
    }

    @Test
    void mistakesAreOneLineAndExitStatus2() throws Exception {
        MeshCli.Run badGroup = MeshCli.mesh("usage", "--url", url(), "--key", "sk-test", "--group-by", "team");
        assertThat(badGroup.exit()).isEqualTo(2);
        assertThat(badGroup.err().strip()).doesNotContain("\n").contains("group_by must be one of");

        MeshCli.Run noKey = MeshCli.mesh("usage", "--url", url());
        assertThat(noKey.exit()).isEqualTo(2);
        assertThat(noKey.err()).contains("HTTP 401");

        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        MeshCli.Run unreachable = MeshCli.mesh("usage", "--url", "http://127.0.0.1:" + closed);
        assertThat(unreachable.exit()).isEqualTo(2);
        assertThat(unreachable.err()).contains("cannot reach the gateway");
    }
}
