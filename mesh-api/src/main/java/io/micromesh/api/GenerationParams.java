package io.micromesh.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.OptionalLong;

/** Validation of the sampling parameters that chat and text completions share. */
final class GenerationParams {

    private GenerationParams() {
    }

    /** Validates the shared parameters; answers {@code max_tokens} when given. */
    static OptionalLong validate(ObjectNode body) {
        OptionalLong maxTokens = Fields.optionalInteger(body, "max_tokens", 1, ChatRequest.MAX_TOKENS_LIMIT);
        Fields.optionalNumber(body, "temperature", 0, 2);
        Fields.optionalNumber(body, "top_p", 0, 1);
        Fields.optionalNumber(body, "presence_penalty", -2, 2);
        Fields.optionalNumber(body, "frequency_penalty", -2, 2);
        Fields.optionalInteger(body, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        Fields.optionalObject(body, "logit_bias");
        Fields.stop(body);
        return maxTokens;
    }
}
