package io.micromesh.cli;

import static io.micromesh.cli.MeshCli.mesh;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code mesh route check}: a semantic route on labelled utterances, offline. */
@Timeout(120)
class RouteCheckCommandTest {

    @TempDir
    Path dir;

    private Path config(String threshold) throws Exception {
        return Files.writeString(dir.resolve("mesh.yaml"), """
                models:
                  - { id: minilm, engine: onnx }
                  - { id: small, engine: openai, endpoints: ["http://127.0.0.1:9/v1"] }
                  - { id: big, engine: openai, endpoints: ["http://127.0.0.1:9/v1"] }
                routes:
                  - name: support
                    policy: semantic
                    candidates: [small, big]
                    default: big
                %s
                    intents:
                      - name: billing
                        model: small
                        examples: ["I was charged twice", "I want a refund for my last invoice",
                                   "why is there an extra fee on my bill", "my card payment failed"]
                      - name: shipping
                        model: small
                        examples: ["where is my package", "my order has not arrived yet",
                                   "the delivery is late", "can you track my shipment"]
                  - name: alias
                    policy: fixed
                    candidates: [small]
                """.formatted(threshold));
    }

    private Path set() throws Exception {
        return Files.writeString(dir.resolve("set.jsonl"), """
                {"text": "you billed me two times this month", "intent": "billing"}
                {"text": "please refund the invoice I paid", "intent": "billing"}
                {"text": "my parcel still has not come", "intent": "shipping"}
                {"text": "when will my shipment be delivered", "intent": "shipping"}
                {"text": "what is the capital of France", "intent": null}
                {"text": "tell me a joke about penguins", "intent": null}
                """);
    }

    @Test
    void reportsTheCalibratedThresholdAndWhereEachUtteranceGoes() throws Exception {
        MeshCli.Run run = mesh("route", "check", "--config", config("").toString(), "--route", "support", "--set", set().toString());
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode figures = Json.mapper().readTree(run.out().strip().lines().toList().getLast());
        assertThat(figures.path("threshold_source").asText()).isEqualTo("calibrated");
        assertThat(figures.path("in_scope").asInt()).isEqualTo(4);
        assertThat(figures.path("right_intent").asInt()).as(run.out()).isEqualTo(4);
        assertThat(figures.path("out_of_scope_to_default").asInt()).as(run.out()).isEqualTo(2);
        assertThat(figures.path("sweep")).hasSize(13);
        assertThat(run.out()).contains("route support: threshold").contains("calibrated");

        MeshCli.Run strict = mesh("route", "check", "--config", config("    threshold: 0.99").toString(), "--route", "support",
                "--set", set().toString());
        JsonNode strictFigures = Json.mapper().readTree(strict.out().strip().lines().toList().getLast());
        assertThat(strictFigures.path("threshold_source").asText()).isEqualTo("configured");
        assertThat(strictFigures.path("in_scope_to_default").asInt()).as("0.99: everything to the default").isEqualTo(4);
        assertThat(strict.out()).contains("miss: \"you billed me two times this month\" (billing) -> default");
        // per intent: where the misses of each went
        JsonNode billing = strictFigures.path("per_intent").get(0);
        assertThat(billing.path("intent").asText()).isEqualTo("billing");
        assertThat(billing.path("utterances").asInt()).isEqualTo(2);
        assertThat(billing.path("to_default").asInt()).isEqualTo(2);
        assertThat(figures.path("per_intent")).hasSize(2).allSatisfy(intent -> assertThat(intent.path("right").asInt()).isEqualTo(2));
        assertThat(run.out()).contains("per intent: utterances, to the right intent, to the default, most often instead");
    }

    /**
     * Issue 26's target, kept: the example route sends at least 90% of set C, paraphrases written
     * for it and used for no choice (bench/data), to the right intent and its out-of-scope sentences
     * to the default (measured: 92 of 100 and 30 of 30; docs/routing.md).
     */
    @Test
    void theExampleRouteSendsUnseenParaphrasesToTheirIntent() throws Exception {
        MeshCli.Run run = mesh("route", "check", "--config", "../config/examples/customer-service.yaml", "--route", "support",
                "--set", "../bench/data/support-paraphrases-c.jsonl");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode figures = Json.mapper().readTree(run.out().strip().lines().toList().getLast());
        assertThat(figures.path("in_scope").asInt()).isEqualTo(100);
        assertThat(figures.path("right_intent_share").asDouble()).as(run.out()).isGreaterThanOrEqualTo(0.9);
        assertThat(figures.path("out_of_scope_to_default_share").asDouble()).as(run.out()).isGreaterThanOrEqualTo(0.9);
        int confused = 0;
        for (JsonNode intent : figures.path("per_intent")) {
            for (JsonNode count : intent.path("confused_with")) {
                confused += count.asInt();
            }
        }
        assertThat(confused).as("the per-intent confusions add up to the misses to other intents")
                .isEqualTo(figures.path("other_intent").asInt());
    }

    @Test
    void mistakesAreNamedInOneLine() throws Exception {
        Path config = config("");
        MeshCli.Run unknown = mesh("route", "check", "--config", config.toString(), "--route", "nope", "--set", set().toString());
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("has no route 'nope'");
        MeshCli.Run fixed = mesh("route", "check", "--config", config.toString(), "--route", "alias", "--set", set().toString());
        assertThat(fixed.exit()).isEqualTo(2);
        assertThat(fixed.err()).contains("not semantic");
        Path badIntent = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"hello\", \"intent\": \"refunds\"}\n");
        MeshCli.Run bad = mesh("route", "check", "--config", config.toString(), "--route", "support", "--set", badIntent.toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("line 1").contains("'refunds' is not one of");
    }
}
