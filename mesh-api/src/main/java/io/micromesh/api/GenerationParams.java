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
        Fields.logitBias(body);
        Fields.stop(body);
        return maxTokens;
    }

    /**
     * Validates {@code stream_options}, which OpenAI takes only with {@code stream: true}.
     *
     * @return {@code stream_options.include_usage}
     */
    static boolean streamOptions(ObjectNode body, boolean stream) {
        ObjectNode options = Fields.optionalObject(body, "stream_options");
        if (options == null) {
            return false;
        }
        if (!stream) {
            throw ApiException.invalidRequest("stream_options", "'stream_options' is only allowed when 'stream' is true.");
        }
        return Fields.optionalBoolean(options, "include_usage", false, "stream_options");
    }
}
