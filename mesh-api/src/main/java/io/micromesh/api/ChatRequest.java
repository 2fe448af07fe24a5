package io.micromesh.api;

import com.fasterxml.jackson.databind.JsonNode;
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

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");
    private static final Set<String> FORMATS = Set.of("text", "json_object", "json_schema");

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
        boolean hasImages = messages(body);
        boolean stream = Fields.optionalBoolean(body, "stream", false);
        ObjectNode streamOptions = Fields.optionalObject(body, "stream_options");
        boolean includeUsage = streamOptions != null && Fields.optionalBoolean(streamOptions, "include_usage", false);
        OptionalLong maxTokens = GenerationParams.validate(body);
        OptionalLong maxCompletion = Fields.optionalInteger(body, "max_completion_tokens", 1, MAX_TOKENS_LIMIT);
        int n = (int) Fields.optionalInteger(body, "n", 1, 128).orElse(1);
        String format = responseFormat(body);
        boolean hasTools = tools(body);
        Fields.optionalInteger(body, "top_logprobs", 0, 20);
        Fields.optionalBoolean(body, "logprobs", false);
        Fields.optionalBoolean(body, "parallel_tool_calls", true);
        Fields.optionalString(body, "user");
        Fields.optionalObject(body, "metadata");
        return new ChatRequest(model, stream, includeUsage, maxCompletion.isPresent() ? maxCompletion : maxTokens,
                n, hasTools, hasImages, format, body);
    }

    /** Validates {@code messages}; answers whether any carries an image. */
    private static boolean messages(ObjectNode body) {
        JsonNode messages = Fields.present(body, "messages");
        if (messages == null) {
            throw ApiException.invalidRequest("messages", "missing_required_parameter",
                    "Missing required parameter: 'messages'.");
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw ApiException.invalidRequest("messages", "invalid_type",
                    "'messages' must be a non-empty array of message objects, got " + Fields.describe(messages) + ".");
        }
        boolean images = false;
        for (int i = 0; i < messages.size(); i++) {
            String param = "messages[" + i + "]";
            JsonNode message = messages.get(i);
            if (!message.isObject()) {
                throw ApiException.invalidRequest(param, "invalid_type",
                        "'" + param + "' must be an object, got " + Fields.describe(message) + ".");
            }
            JsonNode role = message.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
                throw ApiException.invalidRequest(param + ".role",
                        "'" + param + ".role' must be one of " + ROLES.stream().sorted().toList()
                                + ", got " + (role == null ? "nothing" : Fields.describe(role)) + ".");
            }
            images |= content(message, param, role.asText());
        }
        return images;
    }

    private static boolean content(JsonNode message, String param, String role) {
        JsonNode content = message.get("content");
        boolean mayBeEmpty = role.equals("assistant") || role.equals("function");
        if (content == null || content.isNull()) {
            if (mayBeEmpty) {
                return false;
            }
            throw ApiException.invalidRequest(param + ".content", "missing_required_parameter",
                    "'" + param + ".content' is required for role '" + role + "'.");
        }
        if (content.isTextual()) {
            return false;
        }
        if (!content.isArray()) {
            throw ApiException.invalidRequest(param + ".content", "invalid_type",
                    "'" + param + ".content' must be a string or an array of content parts, got "
                            + Fields.describe(content) + ".");
        }
        boolean images = false;
        for (int j = 0; j < content.size(); j++) {
            JsonNode part = content.get(j);
            JsonNode type = part.get("type");
            if (!part.isObject() || type == null || !type.isTextual()) {
                throw ApiException.invalidRequest(param + ".content[" + j + "]", "invalid_type",
                        "'" + param + ".content[" + j + "]' must be an object with a string 'type'.");
            }
            images |= type.asText().equals("image_url");
        }
        return images;
    }

    private static String responseFormat(ObjectNode body) {
        ObjectNode format = Fields.optionalObject(body, "response_format");
        if (format == null) {
            return "text";
        }
        String type = Fields.optionalEnum(format, "type", FORMATS).orElseThrow(() -> ApiException.invalidRequest(
                "response_format.type", "missing_required_parameter",
                "'response_format.type' is required: one of " + FORMATS.stream().sorted().toList() + "."));
        if (type.equals("json_schema")) {
            ObjectNode schema = Fields.optionalObject(format, "json_schema");
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
        }
        return type;
    }

    private static boolean tools(ObjectNode body) {
        JsonNode tools = Fields.present(body, "tools");
        if (tools == null) {
            return false;
        }
        if (!tools.isArray()) {
            throw ApiException.invalidRequest("tools", "invalid_type",
                    "'tools' must be an array of tool objects, got " + Fields.describe(tools) + ".");
        }
        for (int i = 0; i < tools.size(); i++) {
            JsonNode function = tools.get(i).path("function");
            if (!tools.get(i).isObject() || !function.path("name").isTextual()) {
                throw ApiException.invalidRequest("tools[" + i + "]",
                        "'tools[" + i + "]' must be an object with 'type' and 'function.name'.");
            }
        }
        JsonNode choice = Fields.present(body, "tool_choice");
        if (choice != null && !choice.isTextual() && !choice.isObject()) {
            throw ApiException.invalidRequest("tool_choice", "invalid_type",
                    "'tool_choice' must be 'none', 'auto', 'required' or an object.");
        }
        return !tools.isEmpty();
    }
}
