package io.micromesh.core.routing;

import io.micromesh.core.MeshException;
import io.micromesh.core.ServedModel;
import io.micromesh.core.config.Capability;
import io.micromesh.core.config.Engine;
import io.micromesh.core.config.ModelSpec;
import java.util.Optional;

/**
 * Whether a model can serve a request: the one place for the hard constraints. A route's candidates
 * that do not fit are excluded by the {@link Router} (with {@link #exclusion}); a model named
 * directly that does not fit is a failure the client sees ({@link #check}): 422 when the model lacks
 * what the request needs, 400 when the request exceeds what it can do or offers tools to a model
 * without the {@code tools} capability.
 */
public final class Fit {

    private Fit() {
    }

    /** Why {@code model} cannot serve the request, as the failure to answer, or empty when it can. */
    public static Optional<MeshException> check(ServedModel model, RequestFacts facts) {
        ModelSpec spec = model.spec();
        for (Capability need : facts.needs()) {
            if (!spec.capabilities().contains(need)) {
                return Optional.of(lacking(spec, need, facts));
            }
        }
        if (facts.choices() > 1 && spec.engine() != Engine.OPENAI) {
            return Optional.of(MeshException.unsupported("n", "The model '" + spec.id() + "' returns one choice per request;"
                    + " 'n' above 1 is passed only to openai backends."));
        }
        // the llama.cpp binding aborts the whole worker process when asked for token probabilities
        if (facts.logprobs() && spec.engine() == Engine.LLAMACPP) {
            return Optional.of(MeshException.invalid("logprobs", "'logprobs' is not available on '" + spec.id()
                    + "' (engine llamacpp): its llama.cpp binding cannot return token probabilities."));
        }
        if (facts.maxTokens() > 0 && spec.contextWindow().isPresent() && facts.maxTokens() > spec.contextWindow().get()) {
            return Optional.of(MeshException.invalid(facts.maxTokensParam(), "'" + facts.maxTokensParam() + "' is "
                    + facts.maxTokens() + ", more than the context window of '" + spec.id() + "' ("
                    + spec.contextWindow().get() + " tokens)."));
        }
        return Optional.empty();
    }

    /**
     * Why a route may not send the request to {@code model}, in a few words, or null when it may: what
     * {@link #check} refuses, an estimated prompt that does not fit the context with {@code max_tokens},
     * or a model that does not serve now.
     */
    static String exclusion(ServedModel model, RequestFacts facts) {
        ModelSpec spec = model.spec();
        for (Capability need : facts.needs()) {
            if (!spec.capabilities().contains(need)) {
                return "lacks capability " + need.key();
            }
        }
        if (facts.choices() > 1 && spec.engine() != Engine.OPENAI) {
            return "returns one choice per request (n above 1 needs engine openai)";
        }
        if (facts.logprobs() && spec.engine() == Engine.LLAMACPP) {
            return "cannot return logprobs (engine llamacpp)";
        }
        Optional<Integer> context = spec.contextWindow();
        if (context.isPresent() && facts.promptTokens() + facts.maxTokens() > context.get()) {
            return "prompt (about " + facts.promptTokens() + " tokens) plus max_tokens " + facts.maxTokens()
                    + " exceeds its context of " + context.get();
        }
        var health = model.backend().health();
        if (!health.serving()) {
            return "not healthy: " + health.state().name().toLowerCase(java.util.Locale.ROOT);
        }
        return null;
    }

    private static MeshException lacking(ModelSpec spec, Capability need, RequestFacts facts) {
        if (need == facts.operationNeed()) {
            return MeshException.unsupported("model", "The model '" + spec.id() + "' does not serve " + facts.path()
                    + " (its capabilities: " + spec.capabilities().stream().map(Capability::key).sorted().toList() + ").");
        }
        String param = switch (need) {
            case TOOLS -> "tools";
            case JSON -> "response_format";
            case VISION -> "messages";
            default -> "model";
        };
        if (need == Capability.TOOLS) {
            // tools sent to a model that cannot call them is the request's fault, as OpenAI answers it: 400
            return MeshException.invalid(param, "model_lacks_capability", "The model '" + spec.id() + "' lacks capability"
                    + " 'tools': it cannot call tools (add it to the model's capabilities if it can).");
        }
        return MeshException.unsupported(param, "The model '" + spec.id() + "' does not support " + need.key()
                + " (add it to the model's capabilities if it does).");
    }
}
