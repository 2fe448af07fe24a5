package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micromesh.core.dispatch.Lane;
import io.micromesh.core.spi.GateGauges;
import io.micromesh.testkit.StandInServer;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Admission through the real HTTP API against stand-in backends: lanes, a full queue, deadlines,
 * a route's default lane, the adaptive limit following a stand-in's capacity, and affinity.
 */
@Timeout(120)
class DispatchTest {

    private final List<StandInServer> standIns = new ArrayList<>();
    private TestGateway mesh;

    @AfterEach
    void stop() {
        if (mesh != null) {
            mesh.close();
        }
        standIns.forEach(StandInServer::close);
    }

    private StandInServer standIn(String name) {
        StandInServer s = StandInServer.start(name);
        standIns.add(s);
        return s;
    }

    /** A gateway over one model {@code m} with one place in flight and a queue of {@code queue}. */
    private void onePlace(StandInServer backend, int queue) {
        mesh = new TestGateway("""
                models:
                  - id: m
                    engine: openai
                    endpoints: ["%s"]
                    max-in-flight: 1
                    adaptive-limit: false
                    queue-size: %d
                routes:
                  - name: nightly
                    policy: fixed
                    candidates: [m]
                    priority: batch
                """.formatted(backend.baseUrl(), queue));
    }

    private GateGauges gate(String model) {
        return mesh.portfolio.model(model).orElseThrow().backend().gates().getFirst();
    }

    private CompletableFuture<HttpResponse<String>> ask(String model, String text, String... headers) {
        String body = "{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"" + text + "\"}]}";
        return CompletableFuture.supplyAsync(() -> mesh.post("/v1/chat/completions", body, headers),
                java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    }

    private void awaitQueued(GateGauges gate, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (gate.queued() < count && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertThat(gate.queued()).isEqualTo(count);
    }

    @Test
    void higherLanesReachTheBackendFirst() throws Exception {
        StandInServer backend = standIn("slow").delay(Duration.ofMillis(300));
        onePlace(backend, 10);
        var first = ask("m", "first");
        awaitQueued(gate("m"), 0);
        Thread.sleep(50);  // the first request holds the only place
        var batch = ask("m", "batch", "x-mesh-priority", "batch");
        awaitQueued(gate("m"), 1);
        var agent = ask("m", "agent", "x-mesh-priority", "agent");
        awaitQueued(gate("m"), 2);
        var interactive = ask("m", "interactive");
        awaitQueued(gate("m"), 3);
        for (var r : List.of(first, batch, agent, interactive)) {
            assertThat(r.get().statusCode()).isEqualTo(200);
        }
        List<String> order = backend.recorded().stream()
                .map(rec -> rec.body().path("messages").path(0).path("content").asText()).toList();
        assertThat(order).containsExactly("first", "interactive", "agent", "batch");
    }

    @Test
    void aFullQueueIs429AndAPassedDeadlineIs504WithoutReachingTheBackend() throws Exception {
        StandInServer backend = standIn("slow").delay(Duration.ofMillis(400));
        onePlace(backend, 1);
        var holding = ask("m", "holding");
        Thread.sleep(100);
        var waiting = ask("m", "waiting");
        awaitQueued(gate("m"), 1);
        HttpResponse<String> full = ask("m", "refused").get();
        assertThat(full.statusCode()).isEqualTo(429);
        assertThat(full.headers().firstValue("Retry-After")).isPresent();
        assertThat(TestGateway.json(full).path("error").path("code").asText()).isEqualTo("queue_full");
        assertThat(TestGateway.json(full).path("error").path("message").asText()).contains("queue of model 'm' is full").doesNotContain("127.0.0.1");
        assertThat(holding.get().statusCode()).isEqualTo(200);
        assertThat(waiting.get().statusCode()).isEqualTo(200);

        var again = ask("m", "holding again");
        Thread.sleep(100);
        HttpResponse<String> late = ask("m", "too late", "x-mesh-deadline-ms", "50").get();
        assertThat(late.statusCode()).isEqualTo(504);
        assertThat(TestGateway.json(late).path("error").path("code").asText()).isEqualTo("deadline_exceeded");
        assertThat(again.get().statusCode()).isEqualTo(200);
        assertThat(backend.recorded()).extracting(r -> r.body().path("messages").path(0).path("content").asText())
                .doesNotContain("too late", "refused");
        assertThat(mesh.get("/metrics").body()).contains("mesh_dispatch_refused_total{lane=\"interactive\",model=\"m\"");
    }

    @Test
    void badAdmissionHeadersAre400AndARouteSetsItsLane() throws Exception {
        onePlace(standIn("fast"), 10);
        HttpResponse<String> lane = ask("m", "x", "x-mesh-priority", "urgent").get();
        assertThat(lane.statusCode()).isEqualTo(400);
        assertThat(TestGateway.json(lane).path("error").path("param").asText()).isEqualTo("x-mesh-priority");
        assertThat(ask("m", "x", "x-mesh-deadline-ms", "soon").get().statusCode()).isEqualTo(400);
        assertThat(ask("m", "x", "x-mesh-deadline-ms", "0").get().statusCode()).isEqualTo(400);
        assertThat(ask("nightly", "x").get().statusCode()).isEqualTo(200);
        assertThat(gate("m").admitted(Lane.BATCH)).isEqualTo(1);
        assertThat(ask("nightly", "x", "x-mesh-priority", "interactive").get().statusCode()).isEqualTo(200);
        assertThat(gate("m").admitted(Lane.INTERACTIVE)).as("the header wins over the route").isEqualTo(1);
    }

    @Test
    void theAdaptiveLimitShrinksWhenTheBackendSlowsAndGrowsWhenItRecovers() throws Exception {
        StandInServer backend = standIn("elastic").delay(Duration.ofMillis(20)).capacity(24);
        mesh = new TestGateway("""
                models:
                  - id: m
                    engine: openai
                    endpoints: ["%s"]
                    max-in-flight: 64
                """.formatted(backend.baseUrl()));
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            clients.add(Thread.ofVirtual().start(() -> {
                while (running.get()) {
                    mesh.post("/v1/chat/completions", TestGateway.chat("m", false));
                }
            }));
        }
        try {
            Thread.sleep(2000);
            int roomy = gate("m").limit();
            backend.capacity(3);
            Thread.sleep(2500);
            int cramped = gate("m").limit();
            backend.capacity(24);
            Thread.sleep(2500);
            int recovered = gate("m").limit();
            assertThat(cramped).as("limits %d, %d, %d", roomy, cramped, recovered).isLessThan(roomy);
            assertThat(recovered).as("limits %d, %d, %d", roomy, cramped, recovered).isGreaterThan(cramped);
        } finally {
            running.set(false);
            for (Thread t : clients) {
                t.join();
            }
        }
    }

    @Test
    void aSessionsRequestsGoToOneReplica() throws Exception {
        StandInServer a = standIn("a");
        StandInServer b = standIn("b");
        mesh = new TestGateway("""
                models:
                  - id: m
                    engine: openai
                    endpoints: ["%s", "%s"]
                """.formatted(a.baseUrl(), b.baseUrl()));
        for (int i = 0; i < 8; i++) {
            assertThat(ask("m", "turn " + i, "x-mesh-session", "conversation-42").get().statusCode()).isEqualTo(200);
        }
        assertThat(List.of(a.generationRequests(), b.generationRequests())).containsExactlyInAnyOrder(8, 0);
        for (int i = 0; i < 8; i++) {
            ask("m", "no session " + i).get();
        }
        assertThat(a.generationRequests()).as("without affinity, both serve").isBetween(1, 15);
    }

    @Test
    void aWorkflowsRequestsGoToOneReplicaInTheAgentLaneUnlessTheyNameALane() throws Exception {
        StandInServer a = standIn("a");
        StandInServer b = standIn("b");
        mesh = new TestGateway("""
                models:
                  - id: m
                    engine: openai
                    endpoints: ["%s", "%s"]
                routes:
                  - { name: nightly, policy: fixed, candidates: [m], priority: batch }
                """.formatted(a.baseUrl(), b.baseUrl()));
        for (int i = 0; i < 6; i++) {
            assertThat(ask("m", "step " + i, "x-mesh-workflow", "agent-run-1").get().statusCode()).isEqualTo(200);
        }
        assertThat(List.of(a.generationRequests(), b.generationRequests())).containsExactlyInAnyOrder(6, 0);
        long agent = mesh.portfolio.model("m").orElseThrow().backend().gates().stream().mapToLong(g -> g.admitted(Lane.AGENT)).sum();
        assertThat(agent).as("a workflow's requests are agent traffic").isEqualTo(6);

        ask("m", "urgent step", "x-mesh-workflow", "agent-run-1", "x-mesh-priority", "interactive").get();
        ask("nightly", "overnight step", "x-mesh-workflow", "agent-run-1").get();
        var gates = mesh.portfolio.model("m").orElseThrow().backend().gates();
        assertThat(gates.stream().mapToLong(g -> g.admitted(Lane.INTERACTIVE)).sum()).as("a named lane wins").isEqualTo(1);
        assertThat(gates.stream().mapToLong(g -> g.admitted(Lane.BATCH)).sum()).as("a route's lower lane stays").isEqualTo(1);
        assertThat(List.of(a.generationRequests(), b.generationRequests())).containsExactlyInAnyOrder(8, 0);
    }

    @Test
    void affinityCanBeTurnedOff() throws Exception {
        StandInServer a = standIn("a").delay(Duration.ofMillis(30));
        StandInServer b = standIn("b").delay(Duration.ofMillis(30));
        mesh = new TestGateway("""
                models:
                  - id: m
                    engine: openai
                    endpoints: ["%s", "%s"]
                    affinity: false
                """.formatted(a.baseUrl(), b.baseUrl()));
        List<CompletableFuture<HttpResponse<String>>> turns = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            turns.add(ask("m", "turn " + i, "x-mesh-session", "conversation-42"));
        }
        for (var turn : turns) {
            assertThat(turn.get().statusCode()).isEqualTo(200);
        }
        assertThat(a.generationRequests()).as("concurrent turns spread over both").isBetween(1, 7);
    }
}
