package io.micromesh.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code routes:} section: the issue's semantic form as written, and bad routes refused naming the key. */
class RouteConfigTest {

    private static final String MODELS = """
            models:
              - id: billing-model
                engine: openai
                endpoints: ["http://127.0.0.1:9001/v1"]
              - id: shipping-model
                engine: openai
                endpoints: ["http://127.0.0.1:9002/v1"]
              - id: minilm
                engine: onnx
            """;

    private static MeshConfig parse(String yaml) {
        return ConfigLoader.withEnvironment(Map.of()).parse(yaml);
    }

    @Test
    void theSemanticFormOfTheIssueWorksExactlyAsWritten() {
        MeshConfig config = parse(MODELS + """
                routes:
                  - name: support
                    policy: semantic
                    candidates: [billing-model, shipping-model]
                    default: billing-model
                    intents:
                      - name: billing
                        model: billing-model
                        examples: ["I was charged twice", "I want a refund for my last invoice"]
                      - name: shipping
                        model: shipping-model
                        examples: ["where is my package", "my order has not arrived yet"]
                """);
        RouteSpec route = config.route("support").orElseThrow();
        assertThat(route.encoder()).as("the portfolio's only onnx model").isEqualTo("minilm");
        assertThat(route.threshold()).as("none given: calibrated when the router starts").isNull();
        assertThat(route.topK()).isEqualTo(2);
        assertThat(route.intents()).extracting(RouteSpec.IntentSpec::name).containsExactly("billing", "shipping");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown model in candidates | {name: r, policy: fallback, candidates: [billing-model, nope]} | routes[0].candidates[1]: 'nope' is not a model of the portfolio
            an intent without examples | {name: r, policy: semantic, candidates: [billing-model], default: billing-model, intents: [{name: a, model: billing-model, examples: []}]} | routes[0].intents[0].examples: is required
            a threshold above 1 | {name: r, policy: semantic, candidates: [billing-model], default: billing-model, threshold: 1.5, intents: [{name: a, model: billing-model, examples: [x]}]} | routes[0].threshold: 1.5 is not allowed
            memory on a semantic route | {name: r, policy: semantic, candidates: [billing-model], default: billing-model, memory: 500, intents: [{name: a, model: billing-model, examples: [x]}]} | routes[0].memory
            a memory below 100 | {name: r, policy: cost-quality, candidates: [billing-model], memory: 5} | routes[0].memory
            a memory no decision can scan in time | {name: r, policy: cost-quality, candidates: [billing-model], memory: 1000000} | routes[0].memory
            a threshold below 0 | {name: r, policy: semantic, candidates: [billing-model], default: billing-model, threshold: -0.1, intents: [{name: a, model: billing-model, examples: [x]}]} | routes[0].threshold: -0.1 is not allowed
            a route named like a model | {name: minilm, policy: fixed, candidates: [billing-model]} | routes[0].name: 'minilm' is the id of a model
            an unknown policy | {name: r, policy: magic, candidates: [billing-model]} | routes[0].policy: 'magic' is not allowed; allowed: fixed, fallback, rules, semantic, cost-quality, cascade
            a fixed route with two candidates | {name: r, policy: fixed, candidates: [billing-model, shipping-model]} | routes[0].candidates: a fixed route (an alias) has exactly one candidate
            a rule choosing a non-candidate | {name: r, policy: rules, candidates: [billing-model], default: billing-model, rules: [{tools: true, model: shipping-model}]} | routes[0].rules[0].model: 'shipping-model' is not one of the route's candidates
            a default missing | {name: r, policy: rules, candidates: [billing-model], rules: [{tools: true, model: billing-model}]} | routes[0].default: is required for policy rules
            a key of another policy | {name: r, policy: fallback, candidates: [billing-model], threshold: 0.5} | routes[0].threshold: is not used by policy fallback
            an unknown rule condition | {name: r, policy: rules, candidates: [billing-model], default: billing-model, rules: [{colour: red, model: billing-model}]} | routes[0].rules[0].colour: unknown key
            a tolerance above 1 | {name: r, policy: cost-quality, candidates: [billing-model, shipping-model], tolerance: 2} | routes[0].tolerance: 2.0 is not allowed
            verify on a fallback route | {name: r, policy: fallback, candidates: [billing-model], verify: {non-empty: true}} | routes[0].verify: is not used by policy fallback
            a judge outside the portfolio | {name: r, policy: cascade, candidates: [billing-model], verify: {judge: {model: oracle}}} | routes[0].verify.judge.model: 'oracle' is not a model of the portfolio
            a judge prompt without the answer | {name: r, policy: cascade, candidates: [billing-model], verify: {judge: {model: billing-model, prompt: rate it}}} | routes[0].verify.judge.prompt: must contain {answer}
            a refusal that is not a regex | {name: r, policy: cascade, candidates: [billing-model], verify: {refusals: ["(unclosed"]}} | routes[0].verify.refusals[0]: is not a regular expression
            an unknown verifier | {name: r, policy: cascade, candidates: [billing-model], verify: {vibes: true}} | routes[0].verify.vibes: unknown key
            logprobs from an onnx model | {name: r, policy: cascade, candidates: [billing-model, minilm], verify: {min-mean-logprob: -1}} | routes[0].verify.min-mean-logprob: needs token log-probabilities, which only openai backends return; candidate minilm
            task rules on a rules route | {name: r, policy: rules, candidates: [billing-model], default: billing-model, rules: [{tools: true, model: billing-model}], tasks: [{name: t}]} | routes[0].tasks: is not used by policy rules; it applies to policy cost-quality only
            a task rule without a name | {name: r, policy: cost-quality, candidates: [billing-model], tasks: [{prompt-matches: x}]} | routes[0].tasks[0].name: is required
            a task name with a space | {name: r, policy: cost-quality, candidates: [billing-model], tasks: [{name: "legal advice"}]} | routes[0].tasks[0].name: 'legal advice' is not allowed; a task is 1-128 letters
            a task rule's regex that is not one | {name: r, policy: cost-quality, candidates: [billing-model], tasks: [{name: t, prompt-matches: "(unclosed"}]} | routes[0].tasks[0].prompt-matches: '(unclosed' is not a regular expression
            a rule's regex that is not one | {name: r, policy: rules, candidates: [billing-model], default: billing-model, rules: [{prompt-matches: "[a-", model: billing-model}]} | routes[0].rules[0].prompt-matches: '[a-' is not a regular expression
            a task rule matching on a task | {name: r, policy: cost-quality, candidates: [billing-model], tasks: [{name: t, task: u}]} | routes[0].tasks[0].task: unknown key
            an encoder that is not onnx | {name: r, policy: semantic, candidates: [billing-model], default: billing-model, encoder: billing-model, intents: [{name: a, model: billing-model, examples: [x]}]} | routes[0].encoder: 'billing-model' is not an onnx model
            """)
    void aBadRouteIsRefusedNamingTheKey(String what, String route, String message) {
        assertThatThrownBy(() -> parse(MODELS + "routes:\n  - " + route + "\n"))
                .as(what)
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void costQualityAndCascadeRoutesGetTheirDefaults() {
        MeshConfig config = parse(MODELS + """
                routes:
                  - name: auto
                    policy: cost-quality
                    candidates: [billing-model, shipping-model]
                  - name: checked
                    policy: cascade
                    candidates: [billing-model, shipping-model]
                """);
        RouteSpec auto = config.route("auto").orElseThrow();
        assertThat(auto.tolerance()).isEqualTo(RouteSpec.DEFAULT_TOLERANCE);
        assertThat(auto.encoder()).isEqualTo("minilm");
        assertThat(auto.neighbours()).isEqualTo(30);
        assertThat(auto.memory()).isEqualTo(RouteSpec.DEFAULT_MEMORY);
        assertThat(auto.verify()).as("cost-quality verifies only when asked").isNull();
        assertThat(auto.learns()).isTrue();
        RouteSpec checked = config.route("checked").orElseThrow();
        assertThat(checked.verify()).isEqualTo(VerifySpec.defaults());
        assertThat(checked.verify().refusals()).isEqualTo(VerifySpec.DEFAULT_REFUSALS);
        assertThat(checked.verify().jsonSchema()).isTrue();
    }

    @Test
    void logprobsCannotBeAskedOfALlamaCppEngine() {
        assertThatThrownBy(() -> parse(MODELS + """
                  - id: granite
                    engine: llamacpp
                    file: granite.gguf
                routes:
                  - name: checked
                    policy: cascade
                    candidates: [granite, billing-model]
                    verify: { min-mean-logprob: -0.5 }
                """)).hasMessageContaining("candidate granite runs on engine llamacpp (the llama.cpp binding aborts");
    }

    @Test
    void twoRoutesOfOneNameAreRefused() {
        assertThatThrownBy(() -> parse(MODELS + """
                routes:
                  - { name: r, policy: fixed, candidates: [billing-model] }
                  - { name: r, policy: fixed, candidates: [shipping-model] }
                """)).hasMessageContaining("routes[1].name: 'r' is already the name of routes[0]");
    }

    @Test
    void theCustomerServiceExampleLoads() {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).load(java.nio.file.Path.of("../config/examples/customer-service.yaml"));
        RouteSpec support = config.route("support").orElseThrow();
        assertThat(support.intents()).hasSize(10);
        assertThat(support.encoder()).isEqualTo("minilm");
    }

    @Test
    void theCallCenterExampleLoads() {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).load(java.nio.file.Path.of("../config/examples/call-center.yaml"));
        RouteSpec auto = config.route("auto").orElseThrow();
        assertThat(auto.candidates()).containsExactly("granite-3.3-2b", "granite-8b");
        assertThat(auto.verify()).isNotNull();
    }
}
