package io.micromesh.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micromesh.api.ChatRequest;
import io.micromesh.api.Json;
import io.micromesh.core.MeshException;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Tariff;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.config.RoutePolicy;
import io.micromesh.core.dispatch.ModelServerStandIn;
import io.micromesh.core.spi.BackendHealth;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The router's policies and hard constraints, decided on request facts without any HTTP. */
class RouterTest {

    private final Map<String, ModelServerStandIn> servers = new HashMap<>();

    private Router router(String yaml) {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse(yaml);
        List<ServedModel> models = config.models().stream().map(spec -> {
            ModelServerStandIn server = new ModelServerStandIn(spec.id());
            servers.put(spec.id(), server);
            return new ServedModel(spec, server, Tariff.of(spec));
        }).toList();
        return Router.over(config.routes(), new Portfolio(models));
    }

    private static final String MODELS = """
            models:
              - { id: small, engine: llamacpp, file: small.gguf, context: 512 }
              - { id: medium, engine: openai, endpoints: ["http://127.0.0.1:1/v1"], context: 8192 }
              - { id: big, engine: openai, endpoints: ["http://127.0.0.1:2/v1"], context: 32768,
                  capabilities: [chat, completions, json, tools, vision] }
            """;

    /** A chat whose message carries an image: only a model with the capability vision takes it. */
    private static final String IMAGE = "{\"model\": \"%s\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\":"
            + " \"text\", \"text\": \"what is this\"}, {\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,AA==\"}}]}]}";

    private static RequestFacts chat(String json) {
        return RequestFacts.of(ChatRequest.parse(Json.parseObject(json.getBytes(StandardCharsets.UTF_8))), null);
    }

    private static RequestFacts ask(String route, String text) {
        return chat("{\"model\": \"" + route + "\", \"messages\": [{\"role\": \"user\", \"content\": \"" + text + "\"}]}");
    }

    @Test
    void aFixedRouteIsAnAlias() {
        Router router = router(MODELS + "routes: [{ name: default, policy: fixed, candidates: [medium] }]");
        Decision decision = router.decide("default", ask("default", "hi")).orElseThrow();
        assertThat(decision.policy()).isEqualTo(RoutePolicy.FIXED);
        assertThat(decision.order()).extracting(ServedModel::id).containsExactly("medium");
        assertThat(decision.reason()).isEqualTo("alias");
        assertThat(router.decide("nope", ask("nope", "hi"))).isEmpty();
    }

    @Test
    void aFallbackChainSkipsAnUnhealthyModelAndSaysWhy() {
        Router router = router(MODELS + "routes: [{ name: chain, policy: fallback, candidates: [small, medium, big] }]");
        assertThat(router.decide("chain", ask("chain", "hi")).orElseThrow().order()).extracting(ServedModel::id)
                .containsExactly("small", "medium", "big");
        servers.get("small").health(new BackendHealth(BackendHealth.State.DOWN, "worker died"));
        Decision decision = router.decide("chain", ask("chain", "hi")).orElseThrow();
        assertThat(decision.order()).extracting(ServedModel::id).containsExactly("medium", "big");
        assertThat(decision.reason()).isEqualTo("first admissible of the chain");
        assertThat(decision.candidates().getFirst().excluded()).isEqualTo("not healthy: down");
        assertThat(decision.header(1)).endsWith("fell back to big after medium failed");
    }

    @Test
    void rulesChooseByTheFirstRuleThatHoldsElseTheDefault() {
        Router router = router(MODELS + """
                routes:
                  - name: auto
                    policy: rules
                    candidates: [small, medium, big]
                    default: small
                    rules:
                      - { tools: true, model: big }
                      - { prompt-tokens-over: 40, model: medium }
                      - { task: legal, model: big }
                      - { metadata: { tier: gold }, model: medium }
                      - { prompt-matches: '(?i)\\brefund', model: big }
                """);
        assertThat(router.decide("auto", ask("auto", "hi")).orElseThrow().model().id()).isEqualTo("small");
        assertThat(router.decide("auto", ask("auto", "word ".repeat(60))).orElseThrow().reason()).isEqualTo("rule 2 matched");
        assertThat(router.decide("auto", chat("{\"model\": \"auto\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]}")).orElseThrow().model().id())
                .isEqualTo("big");
        RequestFacts legal = RequestFacts.of(ChatRequest.parse(Json.parseObject(
                "{\"model\": \"auto\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}".getBytes(StandardCharsets.UTF_8))),
                "legal");
        assertThat(router.decide("auto", legal).orElseThrow().reason()).isEqualTo("rule 3 matched");
        assertThat(router.decide("auto", chat("{\"model\": \"auto\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"metadata\": {\"tier\": \"gold\"}}")).orElseThrow().model().id()).isEqualTo("medium");
        assertThat(router.decide("auto", ask("auto", "I want a Refund now")).orElseThrow().reason()).isEqualTo("rule 5 matched");
        assertThat(router.decide("auto", ask("auto", "no refunds here")).orElseThrow().reason()).isEqualTo("rule 5 matched");
        assertThat(router.decide("auto", ask("auto", "nonrefundable")).orElseThrow().reason())
                .as("found at a word's start only").isEqualTo("no rule matched; default");
    }

    @Test
    void hardConstraintsExcludeWhatACandidateCannotServeUnderEveryPolicy() {
        Router router = router(MODELS + "routes: [{ name: chain, policy: fallback, candidates: [small, medium, big] }]");
        Decision json = router.decide("chain", chat("{\"model\": \"chain\", \"messages\": [{\"role\": \"user\", \"content\":"
                + " \"x\"}], \"response_format\": {\"type\": \"json_object\"}, \"n\": 2}")).orElseThrow();
        assertThat(json.order()).extracting(ServedModel::id).containsExactly("medium", "big");
        assertThat(json.candidates().getFirst().excluded()).isEqualTo("returns one choice per request (n above 1 needs engine openai)");
        Decision image = router.decide("chain", chat(IMAGE.formatted("chain"))).orElseThrow();
        assertThat(image.order()).extracting(ServedModel::id).containsExactly("big");
        assertThat(image.candidates().get(1).excluded()).isEqualTo("lacks capability vision");
        Decision longOne = router.decide("chain", chat("{\"model\": \"chain\", \"max_tokens\": 9000, \"messages\": [{\"role\":"
                + " \"user\", \"content\": \"x\"}]}")).orElseThrow();
        assertThat(longOne.order()).extracting(ServedModel::id).containsExactly("big");
        assertThat(longOne.candidates().getFirst().excluded()).startsWith("prompt (about 1 tokens) plus max_tokens 9000 exceeds");
        Decision logprobs = router.decide("chain", chat("{\"model\": \"chain\", \"logprobs\": true, \"messages\": [{\"role\":"
                + " \"user\", \"content\": \"x\"}]}")).orElseThrow();
        assertThat(logprobs.candidates().getFirst().excluded()).isEqualTo("cannot return logprobs (engine llamacpp)");
    }

    @Test
    void whenNoCandidateFitsTheFailureSaysWhetherToTryAgain() {
        Router router = router(MODELS + "routes: [{ name: two, policy: fallback, candidates: [small, medium] }]");
        assertThatThrownBy(() -> router.decide("two", chat(IMAGE.formatted("two"))))
                .isInstanceOfSatisfying(MeshException.class, e -> {
                    assertThat(e.failure()).isEqualTo(MeshException.Failure.NO_ADMISSIBLE_MODEL);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.param()).hasValue("model");
                    assertThat(e.getMessage()).contains("small lacks capability vision").contains("medium lacks capability vision");
                });
        servers.get("small").health(new BackendHealth(BackendHealth.State.STARTING, "loading"));
        servers.get("medium").health(new BackendHealth(BackendHealth.State.DOWN, "ejected"));
        assertThatThrownBy(() -> router.decide("two", ask("two", "hi")))
                .isInstanceOfSatisfying(MeshException.class, e -> {
                    assertThat(e.failure()).isEqualTo(MeshException.Failure.UNAVAILABLE);
                    assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(2));
                });
    }

    @Test
    void aCascadeAsksFromTheCheapestUp() {
        Router router = router(MODELS + "routes: [{ name: careful, policy: cascade, candidates: [small, medium, big] }]");
        Decision decision = router.decide("careful", ask("careful", "hi")).orElseThrow();
        assertThat(decision.order()).extracting(ServedModel::id).containsExactly("small", "medium", "big");
        assertThat(decision.verify()).isNotNull();
        assertThat(decision.learningText()).isEqualTo("hi");
    }
}
