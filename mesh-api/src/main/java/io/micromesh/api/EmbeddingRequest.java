package io.micromesh.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A validated {@code POST /v1/embeddings} request.
 *
 * @param model      the model or route asked for
 * @param texts      the inputs as text; empty when the client sent token ids instead
 * @param tokenIds   the client sent token ids rather than text
 * @param base64     {@code encoding_format} is {@code base64}
 * @param dimensions {@code dimensions} when given
 * @param body       the body as received
 */
public record EmbeddingRequest(String model, List<String> texts, boolean tokenIds, boolean base64,
                               OptionalLong dimensions, ObjectNode body) implements MeshRequest {

    /** OpenAI's own bound on the number of inputs in one request. */
    public static final int MAX_INPUTS = 2048;

    public EmbeddingRequest {
        texts = List.copyOf(texts);
    }

    @Override
    public Operation operation() {
        return Operation.EMBEDDINGS;
    }

    @Override
    public boolean stream() {
        return false;
    }

    /**
     * Validates an embeddings body.
     *
     * @throws ApiException 400 naming the first parameter at fault
     */
    public static EmbeddingRequest parse(ObjectNode body) {
        String model = Fields.requiredString(body, "model");
        JsonNode input = Fields.present(body, "input");
        if (input == null) {
            throw ApiException.invalidRequest("input", "missing_required_parameter",
                    "Missing required parameter: 'input'.");
        }
        List<String> texts = new ArrayList<>();
        boolean tokenIds = false;
        if (input.isTextual()) {
            texts.add(nonEmpty(input, "input"));
        } else if (input.isArray() && !input.isEmpty() && input.size() <= MAX_INPUTS) {
            for (int i = 0; i < input.size(); i++) {
                JsonNode item = input.get(i);
                if (item.isTextual()) {
                    texts.add(nonEmpty(item, "input[" + i + "]"));
                } else if (item.isIntegralNumber() || item.isArray()) {
                    tokenIds(item, "input[" + i + "]");
                    tokenIds = true;
                } else {
                    throw ApiException.invalidRequest("input[" + i + "]", "invalid_type",
                            "'input[" + i + "]' must be a string, got " + Fields.describe(item) + ".");
                }
            }
            if (tokenIds && !texts.isEmpty()) {
                throw ApiException.invalidRequest("input",
                        "'input' mixes strings and token ids; send one kind per request.");
            }
        } else {
            throw ApiException.invalidRequest("input", "invalid_type",
                    "'input' must be a string or a non-empty array of up to " + MAX_INPUTS
                            + " strings, got " + Fields.describe(input)
                            + (input.isArray() ? " of " + input.size() + " items" : "") + ".");
        }
        Optional<String> format = Fields.optionalEnum(body, "encoding_format", Set.of("float", "base64"));
        OptionalLong dimensions = Fields.optionalInteger(body, "dimensions", 1, 65_536);
        Fields.optionalString(body, "user");
        return new EmbeddingRequest(model, texts, tokenIds, format.map("base64"::equals).orElse(false),
                dimensions, body);
    }

    /** A token id, or a non-empty array of them: whole numbers from 0 to 2^31-1. */
    private static void tokenIds(JsonNode item, String param) {
        if (item.isArray() && item.isEmpty()) {
            throw ApiException.invalidRequest(param, "invalid_type", "'" + param + "' must be a non-empty array of token ids.");
        }
        for (JsonNode id : item.isArray() ? item : List.of(item)) {
            Fields.integer(id, param, 0, Integer.MAX_VALUE);
        }
    }

    private static String nonEmpty(JsonNode node, String param) {
        if (node.asText().isEmpty()) {
            throw ApiException.invalidRequest(param, "'" + param + "' must not be an empty string.");
        }
        return node.asText();
    }
}
