package io.micromesh.server;

import io.micromesh.api.ApiException;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.CompletionRequest;
import io.micromesh.api.EmbeddingRequest;
import io.micromesh.api.MeshRequest;
import io.micromesh.core.config.Capability;
import io.micromesh.core.config.Engine;
import io.micromesh.core.config.ModelSpec;
import java.util.OptionalLong;

/** Whether a model can serve a request: 422 when it lacks what the request needs, 400 when the request exceeds it. */
final class ModelFit {

    private ModelFit() {
    }

    static void check(ModelSpec model, MeshRequest request) {
        Capability needed = Capability.of(request.operation());
        if (!model.capabilities().contains(needed)) {
            throw ApiException.unprocessable("model", "The model '" + model.id() + "' does not serve /v1"
                    + request.operation().path() + " (its capabilities: "
                    + model.capabilities().stream().map(Capability::key).sorted().toList() + ").");
        }
        switch (request) {
            case ChatRequest chat -> {
                require(model, chat.hasTools(), Capability.TOOLS, "tools");
                require(model, !chat.responseFormat().equals("text"), Capability.JSON, "response_format");
                require(model, chat.hasImages(), Capability.VISION, "messages");
                choices(model, chat.choices());
                noLogprobsOnLlamaCpp(model, chat.body().path("logprobs").asBoolean(false)
                        || chat.body().path("top_logprobs").asInt(0) > 0);
                withinContext(model, chat.maxTokens(), chat.body().has("max_completion_tokens")
                        ? "max_completion_tokens" : "max_tokens");
            }
            case CompletionRequest completion -> {
                choices(model, completion.choices());
                noLogprobsOnLlamaCpp(model, completion.body().path("logprobs").asInt(0) > 0);
                withinContext(model, completion.maxTokens(), "max_tokens");
            }
            case EmbeddingRequest ignored -> {
                // the encoder checks its own input limits
            }
        }
    }

    private static void require(ModelSpec model, boolean asked, Capability capability, String param) {
        if (asked && !model.capabilities().contains(capability)) {
            throw ApiException.unprocessable(param, "The model '" + model.id() + "' does not support "
                    + capability.key() + " (add it to the model's capabilities if it does).");
        }
    }

    private static void choices(ModelSpec model, int n) {
        if (n > 1 && model.engine() != Engine.OPENAI) {
            throw ApiException.unprocessable("n", "The model '" + model.id() + "' returns one choice per request;"
                    + " 'n' above 1 is passed only to openai backends.");
        }
    }

    /** The llama.cpp binding aborts the whole worker process when asked for token probabilities. */
    private static void noLogprobsOnLlamaCpp(ModelSpec model, boolean asked) {
        if (asked && model.engine() == Engine.LLAMACPP) {
            throw ApiException.invalidRequest("logprobs", "'logprobs' is not available on '" + model.id()
                    + "' (engine llamacpp): its llama.cpp binding cannot return token probabilities.");
        }
    }

    private static void withinContext(ModelSpec model, OptionalLong maxTokens, String param) {
        if (maxTokens.isPresent() && model.contextWindow().isPresent()
                && maxTokens.getAsLong() > model.contextWindow().get()) {
            throw ApiException.invalidRequest(param, "'" + param + "' is " + maxTokens.getAsLong()
                    + ", more than the context window of '" + model.id() + "' (" + model.contextWindow().get()
                    + " tokens).");
        }
    }
}
