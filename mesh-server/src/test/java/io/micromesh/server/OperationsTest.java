package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micromesh.testkit.StandInServer;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** API key, metrics, health, accounting and draining. */
class OperationsTest {

    private StandInServer upstream;
    private TestGateway mesh;

    @BeforeEach
    void start() {
        upstream = StandInServer.start("upstream");
        mesh = new TestGateway("""
                server: { api-key: sk-mesh, drain-timeout-ms: 10000 }
                models:
                  - id: remote
                    engine: openai
                    endpoints: ["%s"]
                    price: { input-per-mtok: 0.5, output-per-mtok: 1.5 }
                    energy: { input-j-per-token: 0.02, output-j-per-token: 0.12, source: "test figure" }
                """.formatted(upstream.baseUrl()));
    }

    @AfterEach
    void stop() {
        mesh.close();
        upstream.close();
    }

    private HttpResponse<String> chat(String... headers) {
        return mesh.post("/v1/chat/completions", TestGateway.chat("remote", false), headers);
    }

    @Test
    void everyApiRequestNeedsTheKeyButHealthAndMetricsDoNot() {
        assertThat(chat().statusCode()).isEqualTo(401);
        assertThat(chat("Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
        assertThat(TestGateway.json(chat()).path("error").path("code").asText()).isEqualTo("invalid_api_key");
        assertThat(chat("Authorization", "Bearer sk-mesh").statusCode()).isEqualTo(200);
        assertThat(mesh.get("/health/live").statusCode()).isEqualTo(200);
        assertThat(mesh.get("/metrics").statusCode()).isEqualTo(200);
        assertThat(upstream.generationRequests()).isEqualTo(1);
    }

    @Test
    void chargesCostAndEnergyFromTheModelsTariff() {
        HttpResponse<String> response = chat("Authorization", "Bearer sk-mesh");
        var usage = TestGateway.json(response).path("usage");
        // the stand-in counts 2 prompt and 4 completion tokens
        assertThat(usage.path("cost_usd").asDouble()).isCloseTo((2 * 0.5 + 4 * 1.5) / 1e6, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(usage.path("energy_wh").asDouble()).isCloseTo((2 * 0.02 + 4 * 0.12) / 3600, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(response.headers().firstValue("x-mesh-energy-method")).hasValue("per-token");
    }

    @Test
    void exposesPrometheusMetricsPerModel() {
        chat("Authorization", "Bearer sk-mesh");
        chat("Authorization", "Bearer sk-mesh");
        String metrics = mesh.get("/metrics").body();
        assertThat(metrics).contains("mesh_requests_total{model=\"remote\",status=\"200\"} 2.0");
        assertThat(metrics).contains("mesh_prompt_tokens_total{model=\"remote\"} 4.0");
        assertThat(metrics).contains("mesh_completion_tokens_total{model=\"remote\"} 8.0");
        assertThat(metrics).contains("mesh_request_duration_seconds_bucket{model=\"remote\"");
        assertThat(metrics).contains("mesh_time_to_first_token_seconds_count{model=\"remote\"}");
        assertThat(metrics).contains("mesh_cost_usd_total{model=\"remote\"}");
        assertThat(metrics).contains("mesh_energy_wh_total{model=\"remote\"}");
        // spend by key (the static api-key is "master") and by workflow
        assertThat(metrics).contains("mesh_key_requests_total{key=\"master\"} 2.0");
        assertThat(metrics).contains("mesh_key_cost_usd_total{key=\"master\"} " + 2 * (2 * 0.5 + 4 * 1.5) / 1e6);
        mesh.post("/v1/chat/completions", TestGateway.chat("remote", false), "Authorization", "Bearer sk-mesh",
                "x-mesh-workflow", "agent-7");
        assertThat(mesh.get("/metrics").body()).contains("mesh_workflow_requests_total{workflow=\"agent-7\"} 1.0")
                .contains("mesh_workflow_energy_wh_total{workflow=\"agent-7\"}");
    }

    @Test
    void metricsShowTheJvmAndTheProcess() {
        String metrics = mesh.get("/metrics").body();
        assertThat(metrics).contains("jvm_memory_used_bytes{area=\"heap\"", "jvm_threads_live_threads ",
                "jvm_classes_loaded_classes ", "process_cpu_usage ", "system_cpu_count ", "process_uptime_seconds ");
        assertThat(metrics).containsPattern("jvm_gc_[a-z_]+");
    }

    @Test
    void drainingLetsRequestsInFlightFinishAndRefusesNewOnes() throws Exception {
        upstream.delay(Duration.ofMillis(1500));
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> chat("Authorization", "Bearer sk-mesh"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (upstream.generationRequests() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(mesh.gateway::drainAndStop);
        while (mesh.gateway.inFlight() > 0 && !mesh.get("/health/ready").body().contains("draining")
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        HttpResponse<String> refused = mesh.get("/health/ready");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(inFlight.get().statusCode()).isEqualTo(200);
        assertThat(drained.get()).isTrue();
    }
}
