package io.micromesh.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A validated {@code POST /v1/chat/completions} request.
 *
 * @param model          the model or route asked for
 * @param stream         server-sent events asked for
 * @param includeUsage   {@code stream_options.include_usage}
 * @param maxTokens      {@code max_completion_tokens}, else {@code max_tokens}, when given
 * @param choices        {@code n}, 1 when absent
 * @param hasTools       the request offers tools
 * @param hasImages      a message carries an image part
 * @param responseFormat {@code text}, {@code json_object} or {@code json_schema}
 * @param body           the body as received
 */
public record ChatRequest(String model, boolean stream, boolean includeUsage, OptionalLong maxTokens, int choices,
                          boolean hasTools, boolean hasImages, String responseFormat, ObjectNode body)
        implements MeshRequest {

    /** Upper bound on any token count a client may ask for: larger is a mistake, not a wish. */
    public static final long MAX_TOKENS_LIMIT = 1_000_000;

    private static final Set<String> FORMATS = Set.of("text", "json_object", "json_schema");
    private static final Set<String> EFFORTS = Set.of("none", "minimal", "low", "medium", "high");
    private static final Set<String> MODALITIES = Set.of("text", "audio");

    @Override
    public Operation operation() {
        return Operation.CHAT_COMPLETIONS;
    }

    /**
     * Validates a chat completion body.
     *
     * @throws ApiException 400 naming the first parameter at fault
     */
    public static ChatRequest parse(ObjectNode body) {
        String model = Fields.requiredString(body, "model");
        boolean hasImages = ChatMessages.validate(body);
        boolean stream = Fields.optionalBoolean(body, "stream", false);
        boolean includeUsage = GenerationParams.streamOptions(body, stream);
        OptionalLong maxTokens = GenerationParams.validate(body);
        OptionalLong maxCompletion = Fields.optionalInteger(body, "max_completion_tokens", 1, MAX_TOKENS_LIMIT);
        int n = (int) Fields.optionalInteger(body, "n", 1, 128).orElse(1);
        String format = responseFormat(body);
        boolean hasTools = ChatTools.validate(body);
        boolean logprobs = Fields.optionalBoolean(body, "logprobs", false);
        if (Fields.optionalInteger(body, "top_logprobs", 0, 20).isPresent() && !logprobs) {
            throw ApiException.invalidRequest("top_logprobs", "'top_logprobs' needs 'logprobs' set to true.");
        }
        Fields.optionalString(body, "user");
        Fields.optionalEnum(body, "reasoning_effort", EFFORTS);
        Fields.optionalEnum(body, "verbosity", Set.of("low", "medium", "high"));
        Fields.optionalBoolean(body, "store", false);
        Fields.optionalString(body, "service_tier");
        Fields.optionalObject(body, "prediction");
        Fields.optionalObject(body, "audio");
        ArrayNode modalities = Fields.optionalArray(body, "modalities", null, true);
        if (modalities != null) {
            for (int i = 0; i < modalities.size(); i++) {
                if (!modalities.get(i).isTextual() || !MODALITIES.contains(modalities.get(i).asText())) {
                    throw ApiException.invalidRequest("modalities[" + i + "]", "'modalities[" + i + "]' must be one of "
                            + MODALITIES.stream().sorted().toList() + ", got " + Fields.describe(modalities.get(i)) + ".");
                }
            }
        }
        metadata(body);
        return new ChatRequest(model, stream, includeUsage, maxCompletion.isPresent() ? maxCompletion : maxTokens,
                n, hasTools, hasImages, format, body);
    }

    /** {@code metadata}: at most 16 string values under keys of at most 64 characters, values of at most 512. */
    private static void metadata(ObjectNode body) {
        ObjectNode metadata = Fields.optionalObject(body, "metadata");
        if (metadata == null) {
            return;
        }
        if (metadata.size() > 16) {
            throw ApiException.invalidRequest("metadata", "'metadata' holds " + metadata.size() + " keys; at most 16.");
        }
        for (var entry : metadata.properties()) {
            String param = "metadata." + Quote.clip(entry.getKey());
            if (entry.getKey().length() > 64 || !entry.getValue().isTextual() || entry.getValue().asText().length() > 512) {
                throw ApiException.invalidRequest(param, "'" + param + "' must be a string of at most 512 characters under"
                        + " a key of at most 64, got " + Fields.describe(entry.getValue()) + ".");
            }
        }
    }

    private static String responseFormat(ObjectNode body) {
        ObjectNode format = Fields.optionalObject(body, "response_format");
        if (format == null) {
            return "text";
        }
        String type = Fields.requiredEnum(format, "type", FORMATS, "response_format");
        if (type.equals("json_schema")) {
            ObjectNode schema = Fields.optionalObject(format, "json_schema", "response_format");
            if (schema == null) {
                throw ApiException.invalidRequest("response_format.json_schema", "missing_required_parameter",
                        "'response_format.json_schema' is required when type is 'json_schema'.");
            }
            try {
                Fields.requiredString(schema, "name");
            } catch (ApiException e) {
                throw ApiException.invalidRequest("response_format.json_schema.name", "missing_required_parameter",
                        "'response_format.json_schema.name' must be a non-empty string.");
            }
            if (Fields.present(schema, "schema") != null && !schema.get("schema").isObject()) {
                throw ApiException.invalidRequest("response_format.json_schema.schema", "invalid_type",
                        "'response_format.json_schema.schema' must be a JSON Schema object.");
            }
            Fields.optionalBoolean(schema, "strict", false, "response_format.json_schema");
            Fields.optionalString(schema, "description", "response_format.json_schema");
        }
        return type;
    }
}
