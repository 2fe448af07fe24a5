package io.micromesh.core.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.Json;
import io.micromesh.core.MeshException;
import io.micromesh.core.MeshException.Failure;
import io.micromesh.core.accounting.EnergyMethod;
import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.routing.Learning;
import io.micromesh.core.spi.ClientGoneException;
import io.micromesh.core.spi.Usage;
import io.micromesh.testkit.FakeClock;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The one request path, where it lives: decide, call, fall back, escalate, charge, and one usage
 * record per request with every attempt. The models are stand-ins for model servers at the backend port.
 */
class DispatcherTest {

    private static final String YAML = """
            models:
              - { id: small, engine: llamacpp, file: small.gguf, price: { input-per-mtok: 1, output-per-mtok: 2 } }
              - { id: big, engine: openai, endpoints: ["http://127.0.0.1:1/v1"], price: { input-per-mtok: 10, output-per-mtok: 20 },
                  energy: { input-j-per-token: 0.5, output-j-per-token: 1.0, source: test } }
            routes:
              - { name: chain, policy: fallback, candidates: [small, big] }
              - { name: careful, policy: cascade, candidates: [small, big] }
            """;

    private final StandInPortfolio mesh = new StandInPortfolio(YAML);
    private final List<UsageRecord> records = new ArrayList<>();
    private final FakeClock clock = new FakeClock();
    private final AtomicLong ticker = new AtomicLong(1_000);
    private final Dispatcher dispatcher = new Dispatcher(mesh.portfolio, mesh.router, new Learning(mesh.router, Optional.empty()),
            records::add, clock, () -> ticker.addAndGet(1_000));

    private static ChatRequest chat(String model, String extra) {
        return ChatRequest.parse(Json.parseObject(("{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\","
                + " \"content\": \"what is on my bill\"}]" + extra + "}").getBytes(StandardCharsets.UTF_8)));
    }

    private Call call(ChatRequest request) {
        return new Call(request, Admission.DEFAULT, "req-1", Caller.key("key-1"), "billing", ticker.get());
    }

    @Test
    void aFallbackRouteAnswersFromTheNextModelAndRecordsEveryAttempt() {
        mesh.server("small").failsWith(MeshException.upstream(Failure.UPSTREAM_ERROR, "small failed", 500, "{}"));
        Outcome outcome = dispatcher.answer(call(chat("chain", "")));

        assertThat(outcome).isInstanceOf(Outcome.Answered.class);
        Outcome.Answered answered = (Outcome.Answered) outcome;
        JsonNode body = answered.body().tree();
        assertThat(body.path("model").asText()).isEqualTo("big");
        assertThat(body.path("usage").path("cost_usd").asDouble()).isEqualTo((10 * 10 + 5 * 20) / 1e6);
        assertThat(answered.served().routing()).hasValueSatisfying(h -> assertThat(h).endsWith("fell back to big after small failed"));
        assertThat(answered.served().energyMethod()).isEqualTo(EnergyMethod.PER_TOKEN);

        assertThat(records).hasSize(1);
        UsageRecord record = records.getFirst();
        assertThat(record.requestId()).isEqualTo("req-1");
        assertThat(record.keyId()).isEqualTo("key-1");
        assertThat(record.task()).isEqualTo("billing");
        assertThat(record.route()).isEqualTo("chain");
        assertThat(record.policy()).isEqualTo("fallback");
        assertThat(record.model()).isEqualTo("big");
        assertThat(record.replica()).isEqualTo("big-replica");
        assertThat(record.status()).isEqualTo(UsageRecord.OK);
        assertThat(record.promptTokens()).isEqualTo(10);
        assertThat(record.energyWh()).isEqualTo((10 * 0.5 + 5 * 1.0) / 3600);
        assertThat(record.latencyNanos()).isPositive();
        assertThat(record.ttftNanos()).isEqualTo(-1);
        assertThat(record.attempts()).extracting(UsageRecord.Attempt::model, UsageRecord.Attempt::result)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("small", "upstream_error"),
                        org.assertj.core.groups.Tuple.tuple("big", "ok"));
    }

    @Test
    void aFailureThatIsTheCallersStopsTheChain() {
        mesh.server("small").failsWith(MeshException.upstream(Failure.REJECTED, "bad request", 400, "{}"));
        Outcome outcome = dispatcher.answer(call(chat("chain", "")));
        assertThat(outcome).isInstanceOfSatisfying(Outcome.Failed.class, failed -> {
            assertThat(failed.failure().failure()).isEqualTo(Failure.REJECTED);
            assertThat(failed.lastTried()).hasValueSatisfying(s -> assertThat(s.model()).isEqualTo("small"));
        });
        assertThat(mesh.server("big").received()).isEmpty();
        assertThat(records.getFirst().status()).isEqualTo("rejected");
        assertThat(records.getFirst().costUsd()).isZero();
    }

    @Test
    void whenEveryModelFailsTheLastFailureIsTheOutcome() {
        mesh.server("small").failsWith(MeshException.of(Failure.REFUSED, "small refused", null));
        mesh.server("big").failsWith(MeshException.of(Failure.TIMEOUT, "big timed out", null));
        Outcome.Failed failed = (Outcome.Failed) dispatcher.answer(call(chat("chain", "")));
        assertThat(failed.failure().failure()).isEqualTo(Failure.TIMEOUT);
        assertThat(records.getFirst().attempts()).extracting(UsageRecord.Attempt::result).containsExactly("refused", "timeout");
    }

    @Test
    void aModelNamedDirectlyMustFitBeforeItIsCalled() {
        Outcome.Failed failed = (Outcome.Failed) dispatcher.answer(call(chat("small", ", \"n\": 2")));
        assertThat(failed.failure().failure()).isEqualTo(Failure.UNSUPPORTED);
        assertThat(failed.failure().param()).hasValue("n");
        assertThat(mesh.server("small").received()).isEmpty();
        assertThat(records.getFirst().model()).isEqualTo("small");
        assertThat(records.getFirst().policy()).isEqualTo("direct");
        assertThat(records.getFirst().attempts()).isEmpty();

        Outcome.Failed unknown = (Outcome.Failed) dispatcher.answer(call(chat("nobody", "")));
        assertThat(unknown.failure().failure()).isEqualTo(Failure.MODEL_NOT_FOUND);
        assertThat(unknown.lastTried()).isEmpty();
        assertThat(records.getLast().status()).isEqualTo("model_not_found");
    }

    /** A client stream that keeps what it is sent. */
    private static final class Client implements ClientStream {
        final List<Served> attempts = new ArrayList<>();
        final List<ObjectNode> chunks = new ArrayList<>();
        int goneAfter = Integer.MAX_VALUE;

        @Override
        public void attempt(Served served) {
            attempts.add(served);
        }

        @Override
        public void send(ObjectNode chunk) {
            if (chunks.size() >= goneAfter) {
                throw new ClientGoneException(null);
            }
            chunks.add(chunk);
        }
    }

    @Test
    void aStreamFallsBackBeforeItsFirstChunkAndNeverAfter() {
        mesh.server("small").failsWith(MeshException.of(Failure.BROKEN_BEFORE_FIRST_CHUNK, "small closed early", null));
        mesh.server("big").answers("one two three", new Usage(4, 3));
        Client client = new Client();
        Outcome.Streamed streamed = (Outcome.Streamed) dispatcher.stream(call(chat("chain", "")), client);
        assertThat(client.attempts).extracting(Served::model).containsExactly("small", "big");
        assertThat(client.chunks).hasSize(3).allSatisfy(c -> assertThat(c.path("model").asText()).isEqualTo("big"));
        assertThat(streamed.usage().ttftNanos()).isPositive().isLessThan(streamed.usage().latencyNanos());
        assertThat(streamed.usage().completionTokens()).isEqualTo(3);

        mesh.server("small").answers("one two three", new Usage(4, 3)).breaksStreamAfter(2);
        Client second = new Client();
        Outcome.Failed failed = (Outcome.Failed) dispatcher.stream(call(chat("chain", "")), second);
        assertThat(failed.failure().failure()).isEqualTo(Failure.BROKEN_STREAM);
        assertThat(second.chunks).hasSize(2);
        assertThat(second.attempts).extracting(Served::model).containsExactly("small");
    }

    @Test
    void aClientThatGoesAwayEndsTheStreamAndIsRecorded() {
        Client client = new Client();
        client.goneAfter = 1;
        mesh.server("big").answers("one two three", new Usage(4, 3));
        Outcome.Streamed streamed = (Outcome.Streamed) dispatcher.stream(call(chat("big", "")), client);
        assertThat(streamed.usage().status()).isEqualTo(UsageRecord.CLIENT_GONE);
    }

    @Test
    void aCascadeEscalatesPastARejectedAnswerAndChargesEveryCall() {
        mesh.server("small").answers("I'm sorry, but I can't help with that.", new Usage(10, 8));
        mesh.server("big").answers("Your bill shows two charges.", new Usage(10, 6));
        Outcome.Answered answered = (Outcome.Answered) dispatcher.answer(call(chat("careful", "")));

        JsonNode body = answered.body().tree();
        assertThat(body.path("model").asText()).isEqualTo("big");
        assertThat(body.path("id").asText()).startsWith("chatcmpl-");
        double smallCost = (10 * 1 + 8 * 2) / 1e6;
        double bigCost = (10 * 10 + 6 * 20) / 1e6;
        assertThat(body.path("usage").path("cost_usd").asDouble()).isCloseTo(smallCost + bigCost,
                org.assertj.core.data.Offset.offset(1e-15));
        assertThat(body.path("usage").path("completion_tokens").asLong()).as("the answer's tokens").isEqualTo(6);
        assertThat(answered.served().cascade()).hasValueSatisfying(c -> assertThat(c).startsWith("passed: small refusal"));
        UsageRecord record = records.getFirst();
        assertThat(record.attempts()).extracting(UsageRecord.Attempt::model, UsageRecord.Attempt::verdict)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("small", "refusal"),
                        org.assertj.core.groups.Tuple.tuple("big", "passed"));
        assertThat(record.costUsd()).isCloseTo(smallCost + bigCost, org.assertj.core.data.Offset.offset(1e-15));

        Client client = new Client();
        dispatcher.stream(call(chat("careful", ", \"stream\": true")), client);
        assertThat(client.attempts).extracting(Served::model).as("the client sees only the verified answer").containsExactly("big");
        assertThat(client.chunks.getFirst().path("choices").path(0).path("delta").path("content").asText())
                .isEqualTo("Your bill shows two charges.");
    }
}
