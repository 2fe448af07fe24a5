package io.micromesh.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.OptionalLong;

/**
 * A validated {@code POST /v1/completions} request (the legacy text completion).
 *
 * @param model        the model or route asked for
 * @param stream       server-sent events asked for
 * @param includeUsage {@code stream_options.include_usage}
 * @param maxTokens    {@code max_tokens} when given
 * @param choices      {@code n}, 1 when absent
 * @param body         the body as received
 */
public record CompletionRequest(String model, boolean stream, boolean includeUsage, OptionalLong maxTokens,
                                int choices, ObjectNode body) implements MeshRequest {

    @Override
    public Operation operation() {
        return Operation.COMPLETIONS;
    }

    /**
     * Validates a text completion body.
     *
     * @throws ApiException 400 naming the first parameter at fault
     */
    public static CompletionRequest parse(ObjectNode body) {
        String model = Fields.requiredString(body, "model");
        prompt(body);
        boolean stream = Fields.optionalBoolean(body, "stream", false);
        boolean includeUsage = GenerationParams.streamOptions(body, stream);
        OptionalLong maxTokens = GenerationParams.validate(body);
        int n = (int) Fields.optionalInteger(body, "n", 1, 128).orElse(1);
        OptionalLong bestOf = Fields.optionalInteger(body, "best_of", 1, 20);
        if (bestOf.isPresent() && bestOf.getAsLong() < n) {
            throw ApiException.invalidRequest("best_of", "'best_of' (" + bestOf.getAsLong() + ") must be at least 'n' (" + n + ").");
        }
        if (bestOf.isPresent() && bestOf.getAsLong() > 1 && stream) {
            throw ApiException.invalidRequest("best_of", "'best_of' above 1 cannot be streamed.");
        }
        Fields.optionalBoolean(body, "echo", false);
        Fields.optionalString(body, "suffix");
        Fields.optionalInteger(body, "logprobs", 0, 5);
        Fields.optionalString(body, "user");
        return new CompletionRequest(model, stream, includeUsage, maxTokens, n, body);
    }

    /** {@code prompt}: a string, an array of strings, an array of token ids, or an array of those. */
    private static void prompt(ObjectNode body) {
        JsonNode prompt = Fields.present(body, "prompt");
        if (prompt == null) {
            throw ApiException.invalidRequest("prompt", "missing_required_parameter",
                    "Missing required parameter: 'prompt'.");
        }
        if (prompt.isTextual()) {
            return;
        }
        boolean valid = prompt.isArray() && !prompt.isEmpty();
        if (valid) {
            for (JsonNode item : prompt) {
                valid &= item.isTextual() || item.isIntegralNumber() || (item.isArray() && allIntegers(item));
            }
        }
        if (!valid) {
            throw ApiException.invalidRequest("prompt", "invalid_type",
                    "'prompt' must be a string, an array of strings or an array of token ids, got "
                            + Fields.describe(prompt) + ".");
        }
        for (JsonNode item : prompt) {
            for (JsonNode id : item.isArray() ? item : List.of(item)) {
                if (id.isIntegralNumber() && !(id.canConvertToInt() && id.asInt() >= 0)) {
                    throw ApiException.invalidRequest("prompt", "'prompt' holds token id " + Quote.clip(id.toString())
                            + "; token ids are whole numbers from 0 to " + Integer.MAX_VALUE + ".");
                }
            }
        }
    }

    private static boolean allIntegers(JsonNode array) {
        for (JsonNode item : array) {
            if (!item.isIntegralNumber()) {
                return false;
            }
        }
        return !array.isEmpty();
    }
}
