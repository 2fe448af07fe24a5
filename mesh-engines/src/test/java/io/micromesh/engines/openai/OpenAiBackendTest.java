package io.micromesh.engines.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.MeshException;
import io.micromesh.core.MeshException.Failure;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ClientGoneException;
import io.micromesh.core.spi.Usage;
import io.micromesh.testkit.FakeClock;
import io.micromesh.testkit.StandInServer;
import io.micromesh.testkit.StandInServer.Mode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiBackendTest {

    private StandInServer a;
    private StandInServer b;
    private final FakeClock clock = new FakeClock();
    private OpenAiBackend backend;

    @BeforeEach
    void start() {
        a = StandInServer.start("a");
        b = StandInServer.start("b");
    }

    @AfterEach
    void stop() {
        if (backend != null) {
            backend.close();
        }
        a.close();
        b.close();
    }

    /** A backend over the given stand-ins; probes run on the calling thread so the test sees them at once. */
    private OpenAiBackend backend(String extra, StandInServer... servers) {
        StringBuilder endpoints = new StringBuilder();
        for (StandInServer s : servers) {
            endpoints.append(endpoints.isEmpty() ? "" : ", ").append('"').append(s.baseUrl()).append('"');
        }
        ModelSpec.OpenAi spec = (ModelSpec.OpenAi) ConfigLoader.withEnvironment(Map.of()).parse("""
                models:
                  - id: remote
                    engine: openai
                    endpoints: [%s]
                    %s
                """.formatted(endpoints, extra)).models().get(0);
        backend = OpenAiBackend.create(spec, clock, Runnable::run);
        return backend;
    }

    private static ChatRequest chat(boolean stream) {
        return ChatRequest.parse(Json.parseObject(("{\"model\":\"remote\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"say hello\"}]}").getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void sendsTheServedNameAndTheUpstreamKeyAndReturnsUsage() {
        backend("served-name: upstream-name\n    api-key: sk-upstream", a);
        BackendReply reply = backend.call(chat(false));
        assertThat(reply.body().path("choices").get(0).path("message").path("content").asText())
                .isEqualTo("Hello from the stand-in");
        assertThat(reply.tokens()).isEqualTo(new Usage(2, 4));
        StandInServer.Recorded seen = a.recorded().get(0);
        assertThat(seen.path()).isEqualTo("/v1/chat/completions");
        assertThat(seen.body().path("model").asText()).isEqualTo("upstream-name");
        assertThat(seen.headers()).containsEntry("authorization", "Bearer sk-upstream");
    }

    @Test
    void balancesReplicasByLeastOutstandingRequests() {
        backend("", a, b);
        for (int i = 0; i < 10; i++) {
            backend.call(chat(false));
        }
        // sequential calls leave every replica idle, so rotation spreads them evenly
        assertThat(a.generationRequests()).isEqualTo(5);
        assertThat(b.generationRequests()).isEqualTo(5);
    }

    @Test
    void retriesOnceOnTheOtherReplicaWhenOneRefusesConnections() {
        backend("", a, b);
        a.refuseConnections();
        for (int i = 0; i < 4; i++) {
            assertThat(backend.call(chat(false)).body().has("choices")).isTrue();
        }
        assertThat(b.generationRequests()).isEqualTo(4);
        assertThat(a.connections()).isZero();
    }

    @Test
    void retriesA500OnTheOtherReplica() {
        backend("", a, b);
        a.mode(Mode.ERROR_500);
        for (int i = 0; i < 2; i++) {
            backend.call(chat(false));
        }
        assertThat(b.generationRequests()).isEqualTo(2);
    }

    @Test
    void anEjectedReplicaGetsNoTrafficUntilItsProbeSucceeds() {
        backend("eject-after-failures: 2\n    eject-for-ms: 10000", a, b);
        a.mode(Mode.ERROR_500);
        while (backend.health().state() == BackendHealth.State.READY) {
            backend.call(chat(false));
        }
        assertThat(backend.health().state()).isEqualTo(BackendHealth.State.DEGRADED);
        int failedOnA = a.generationRequests();
        assertThat(failedOnA).isEqualTo(2);

        a.mode(Mode.NORMAL);
        for (int i = 0; i < 6; i++) {
            backend.call(chat(false));
        }
        assertThat(a.generationRequests()).as("no traffic while ejected").isEqualTo(failedOnA);
        assertThat(a.probes()).as("no probe before the back-off is over").isZero();

        clock.advance(Duration.ofSeconds(10));
        backend.call(chat(false));
        assertThat(a.probes()).isEqualTo(1);
        assertThat(backend.health().state()).isEqualTo(BackendHealth.State.READY);
        for (int i = 0; i < 6; i++) {
            backend.call(chat(false));
        }
        assertThat(a.generationRequests()).as("traffic again after the probe").isGreaterThan(failedOnA);
    }

    @Test
    void aFailedProbeDoublesTheBackOff() {
        backend("eject-after-failures: 1\n    eject-for-ms: 1000", a, b);
        a.refuseConnections();
        backend.call(chat(false));
        assertThat(backend.health().state()).isEqualTo(BackendHealth.State.DEGRADED);
        clock.advance(Duration.ofSeconds(1));
        backend.call(chat(false));  // probe fails: a still refuses
        a.acceptConnections();
        clock.advance(Duration.ofSeconds(1));
        backend.call(chat(false));
        assertThat(a.probes()).as("back-off now 2 s: not probed after 1 s").isZero();
        clock.advance(Duration.ofSeconds(1));
        backend.call(chat(false));
        assertThat(a.probes()).isEqualTo(1);
        assertThat(backend.health().state()).isEqualTo(BackendHealth.State.READY);
    }

    /**
     * Regression (issue 15): a replica whose GET /v1/models answers but whose completions fail was
     * re-admitted by every probe at the first back-off, forever.
     */
    @Test
    void aReplicaThatPassesProbesButFailsRequestsIsEjectedForLongerEachTime() {
        backend("eject-after-failures: 2\n    eject-for-ms: 1000", a, b);
        a.mode(Mode.ERROR_500);
        while (backend.health().state() == BackendHealth.State.READY) {
            backend.call(chat(false));
        }
        long[] backoffs = {1, 2, 4, 8};
        for (long seconds : backoffs) {
            clock.advance(Duration.ofSeconds(seconds).minusMillis(1));
            backend.call(chat(false));
            int probes = a.probes();
            assertThat(backend.health().state()).as("still ejected just before %d s", seconds)
                    .isEqualTo(BackendHealth.State.DEGRADED);
            clock.advance(Duration.ofMillis(1));
            int failed = a.generationRequests();
            // the probe answers, the replica is back on probation; its first failed request ejects it again
            while (a.generationRequests() == failed) {
                backend.call(chat(false));
            }
            assertThat(a.probes()).isEqualTo(probes + 1);
            assertThat(a.generationRequests()).as("one request on probation").isEqualTo(failed + 1);
            assertThat(backend.health().state()).isEqualTo(BackendHealth.State.DEGRADED);
        }
        // a request that succeeds ends the probation and brings the back-off down again
        a.mode(Mode.NORMAL);
        clock.advance(Duration.ofSeconds(16));
        int before = a.generationRequests();
        while (a.generationRequests() == before) {
            backend.call(chat(false));
        }
        a.mode(Mode.ERROR_500);
        while (backend.health().state() == BackendHealth.State.READY) {
            backend.call(chat(false));
        }
        assertThat(a.generationRequests()).as("after a success, ejection needs eject-after-failures again")
                .isEqualTo(before + 3);
        clock.advance(Duration.ofSeconds(1));
        int probes = a.probes();
        backend.call(chat(false));
        assertThat(a.probes()).as("probed after the first back-off again").isEqualTo(probes + 1);
    }

    @Test
    void withNoHealthyReplicaItFailsFastAsUnavailable() {
        backend("eject-after-failures: 1", a, b);
        a.refuseConnections();
        b.refuseConnections();
        assertThatThrownBy(() -> backend.call(chat(false)))
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.failure()).isEqualTo(Failure.REFUSED));
        assertThat(backend.health().state()).isEqualTo(BackendHealth.State.DOWN);
        assertThatThrownBy(() -> backend.call(chat(false)))
                .isInstanceOfSatisfying(MeshException.class, e -> {
                    assertThat(e.failure()).isEqualTo(Failure.UNAVAILABLE);
                    assertThat(e.getMessage()).contains("no healthy replica");
                    assertThat(e.retryAfter()).isPresent();
                });
    }

    @Test
    void aSlowUpstreamTimesOut() {
        backend("timeout-ms: 200", a);
        a.mode(Mode.HANG);
        assertThatThrownBy(() -> backend.call(chat(false)))
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.failure()).isEqualTo(Failure.TIMEOUT));
    }

    /** Issue 16: timeout-ms bounds silence; a server trickling its answer a byte at a time is never silent. */
    @Test
    void anAnswerTrickledSlowerThanTheDeadlineAllowsIsATimeout() {
        backend("timeout-ms: 5000\n    deadline-ms: 200", a);
        a.mode(Mode.TRICKLE).chunkInterval(Duration.ofMillis(5));  // some 500 bytes: 2.5 s in all
        assertThatThrownBy(() -> backend.call(chat(false))).isInstanceOfSatisfying(MeshException.class, e -> {
            assertThat(e.failure()).isEqualTo(Failure.TIMEOUT);
            assertThat(e.getMessage()).contains("deadline-ms");
        });
        assertThatThrownBy(() -> backend.stream(chat(true), chunk -> { }))
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.failure()).isEqualTo(Failure.TIMEOUT));
    }

    /**
     * Headers trickled slowly: the client is still reading them when the deadline passes, and only
     * an interrupt of its (virtual) thread ends the wait; the thread leaves the call uninterrupted.
     */
    @Test
    void headersTrickledPastTheDeadlineEndTheCallOnAVirtualThread() throws Exception {
        backend("timeout-ms: 5000\n    deadline-ms: 300", a);
        a.mode(Mode.TRICKLE).chunkInterval(Duration.ofMillis(100));  // the status line alone takes 1.7 s
        Object[] outcome = new Object[2];
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                outcome[0] = backend.call(chat(false));
            } catch (RuntimeException e) {
                outcome[0] = e;
            }
            outcome[1] = Thread.currentThread().isInterrupted();
        });
        caller.join(Duration.ofSeconds(20));
        assertThat(outcome[0]).isInstanceOfSatisfying(MeshException.class,
                e -> assertThat(e.failure()).isEqualTo(Failure.TIMEOUT));
        assertThat(outcome[1]).as("interrupt cleared").isEqualTo(false);
        assertThat(a.connections()).as("once, and once more on the same lone replica at most").isBetween(1, 2);
    }

    /** Issue 16: an answer that is not JSON is another replica's to give, and its words stay in the log. */
    @Test
    void garbageFromOneReplicaIsRetriedOnTheOtherAndNeverQuoted() {
        backend("", a, b);
        a.mode(Mode.GARBAGE);
        b.mode(Mode.GARBAGE);
        assertThatThrownBy(() -> backend.call(chat(false))).isInstanceOfSatisfying(MeshException.class, e -> {
            assertThat(e.failure()).isEqualTo(Failure.BAD_RESPONSE);
            assertThat(e.getMessage()).contains("model 'remote'").doesNotContain("127.0.0.1", "Traceback", "/srv");
            assertThat(e.detail()).hasValueSatisfying(d -> assertThat(d).contains("127.0.0.1", "Traceback"));
        });
        assertThat(a.generationRequests() + b.generationRequests()).as("one retry").isEqualTo(2);
        b.mode(Mode.NORMAL);
        assertThat(backend.call(chat(false)).body().has("choices")).isTrue();
    }

    @Test
    void anUpstreamTracebackIsLoggedNotRelayed() {
        backend("", a);
        a.mode(Mode.TRACEBACK_500);
        assertThatThrownBy(() -> backend.call(chat(false))).isInstanceOfSatisfying(MeshException.class, e -> {
            assertThat(e.failure()).isEqualTo(Failure.UPSTREAM_ERROR);
            assertThat(e.getMessage()).isEqualTo("model 'remote' answered HTTP 500");
            assertThat(e.detail()).hasValueSatisfying(d -> assertThat(d).contains("Traceback"));
        });
    }

    /** A server that says nothing and hangs up is a refusal another replica may not repeat. */
    @Test
    void aServerThatHangsUpWithoutAWordIsRetriedOnTheOther() {
        backend("", a, b);
        a.mode(Mode.RESET);
        for (int i = 0; i < 2; i++) {
            assertThat(backend.call(chat(false)).body().has("choices")).isTrue();
        }
    }

    @Test
    void aRejectedRequestIsNotRetried() {
        backend("", a, b);
        a.mode(Mode.TOO_MANY_REQUESTS);
        b.mode(Mode.TOO_MANY_REQUESTS);
        assertThatThrownBy(() -> backend.call(chat(false)))
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.failure()).isEqualTo(Failure.OVERLOADED));
        assertThat(a.generationRequests() + b.generationRequests()).isEqualTo(2);
        assertThat(backend.health().state()).as("busy is not broken").isEqualTo(BackendHealth.State.READY);
    }

    @Test
    void streamsChunksInOrderAndCountsUsageEvenWhenTheClientDidNotAskForIt() {
        backend("", a);
        List<ObjectNode> chunks = new ArrayList<>();
        Usage tokens = backend.stream(chat(true), chunks::add);
        assertThat(chunks).isNotEmpty().allSatisfy(c -> assertThat(c.has("usage")).isFalse());
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> text.append(c.path("choices").get(0).path("delta").path("content").asText()));
        assertThat(text.toString()).isEqualTo("Hello from the stand-in");
        assertThat(tokens).isEqualTo(new Usage(2, 4));
        assertThat(a.recorded().get(0).body().path("stream_options").path("include_usage").asBoolean()).isTrue();
    }

    @Test
    void aStreamCutBeforeItsFirstChunkIsRetriedOnTheOtherReplica() {
        backend("", a, b);
        a.mode(Mode.CUT_BEFORE_FIRST_CHUNK);
        b.mode(Mode.CUT_BEFORE_FIRST_CHUNK);
        assertThatThrownBy(() -> backend.stream(chat(true), chunk -> { }))
                .isInstanceOfSatisfying(MeshException.class,
                        e -> assertThat(e.failure()).isEqualTo(Failure.BROKEN_BEFORE_FIRST_CHUNK));
        assertThat(a.generationRequests() + b.generationRequests()).isEqualTo(2);
        b.mode(Mode.NORMAL);
        a.mode(Mode.CUT_BEFORE_FIRST_CHUNK);
        List<ObjectNode> chunks = new ArrayList<>();
        backend.stream(chat(true), chunks::add);
        assertThat(chunks).isNotEmpty();
    }

    /** Issue 16: a server may end a stream's body by closing the connection; the stream is whole, not broken. */
    @Test
    void aStreamEndedByClosingTheConnectionIsComplete() {
        backend("eject-after-failures: 1", a);
        a.closeDelimitedStreams(true);
        for (int i = 0; i < 3; i++) {
            List<ObjectNode> chunks = new ArrayList<>();
            Usage usage = backend.stream(chat(true), chunks::add);
            assertThat(chunks).isNotEmpty();
            assertThat(usage.completion()).isPositive();
        }
        assertThat(backend.health().state()).as("not ejected").isEqualTo(BackendHealth.State.READY);
    }

    @Test
    void aStreamCutHalfwayIsReportedAndNotRetried() {
        backend("", a, b);
        // chunks spaced out, as a real model emits them: the JDK client may drop data that arrives
        // in the same read as the connection's end
        a.mode(Mode.CUT_STREAM).chunkInterval(Duration.ofMillis(50));
        b.mode(Mode.CUT_STREAM).chunkInterval(Duration.ofMillis(50));
        List<ObjectNode> chunks = new ArrayList<>();
        assertThatThrownBy(() -> backend.stream(chat(true), chunks::add))
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.failure()).isEqualTo(Failure.BROKEN_STREAM));
        assertThat(chunks).hasSize(3);
        assertThat(a.generationRequests() + b.generationRequests()).isEqualTo(1);
    }

    /** Once chunks reached the client, silence is a broken stream: retrying would send it a second answer. */
    @Test
    void aStreamFallingSilentHalfwayIsBrokenNotRetried() {
        backend("timeout-ms: 150", a, b);
        a.chunkInterval(Duration.ofMillis(1_000));
        b.chunkInterval(Duration.ofMillis(1_000));
        List<ObjectNode> chunks = new ArrayList<>();
        assertThatThrownBy(() -> backend.stream(chat(true), chunks::add)).isInstanceOfSatisfying(MeshException.class, e -> {
            assertThat(e.failure()).isEqualTo(Failure.BROKEN_STREAM);
            assertThat(e.getMessage()).contains("stopped mid-stream", "timeout-ms");
        });
        assertThat(chunks).hasSize(1);
        assertThat(a.generationRequests() + b.generationRequests()).isEqualTo(1);
    }

    @Test
    void aClientThatGoesAwayClosesTheUpstreamConnection() throws Exception {
        backend("", a);
        a.streamChunks(200).chunkInterval(Duration.ofMillis(10)).reply("x".repeat(200));
        int[] received = {0};
        assertThatThrownBy(() -> backend.stream(chat(true), chunk -> {
            if (++received[0] == 3) {
                throw new ClientGoneException(null);
            }
        })).isInstanceOf(ClientGoneException.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        // the abandoned stream is counted before the stand-in has closed its socket: wait for both
        while ((a.abandonedStreams() == 0 || a.openConnections() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(a.abandonedStreams()).isEqualTo(1);
        assertThat(a.openConnections()).isZero();
    }
}
