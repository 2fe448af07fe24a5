package io.micromesh.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Set;

/**
 * Validation of a chat request's {@code messages} against OpenAI's schema: each role with the
 * fields it needs ({@code tool_call_id} for a tool's answer, {@code name} for a function's), and
 * content as a string or as parts of the kinds that role may send, each part with its own fields.
 * Fields OpenAI does not define are left alone: servers behind the gateway add their own.
 */
final class ChatMessages {

    /** The kinds of content part each role may send. */
    private static final Map<String, Set<String>> PARTS = Map.of(
            "system", Set.of("text"),
            "developer", Set.of("text"),
            "user", Set.of("text", "image_url", "input_audio", "file"),
            "assistant", Set.of("text", "refusal"),
            "tool", Set.of("text"),
            "function", Set.of("text"));
    private static final Set<String> IMAGE_DETAIL = Set.of("auto", "low", "high");
    private static final Set<String> AUDIO_FORMATS = Set.of("wav", "mp3");

    private ChatMessages() {
    }

    /**
     * Validates {@code messages}.
     *
     * @return whether any message carries an image
     * @throws ApiException 400 naming the first parameter at fault
     */
    static boolean validate(ObjectNode body) {
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
            images |= message(messages.get(i), "messages[" + i + "]");
        }
        return images;
    }

    private static boolean message(JsonNode node, String at) {
        ObjectNode message = Fields.object(node, at);
        String role = Fields.requiredEnum(message, "role", PARTS.keySet(), at);
        Fields.optionalString(message, "name", at);
        switch (role) {
            case "tool" -> Fields.requiredString(message, "tool_call_id", at);
            case "function" -> Fields.requiredString(message, "name", at);
            case "assistant" -> {
                toolCalls(message, at);
                Fields.optionalString(message, "refusal", at);
                ObjectNode functionCall = Fields.optionalObject(message, "function_call", at);
                if (functionCall != null) {
                    Fields.requiredString(functionCall, "name", Fields.param(at, "function_call"));
                    Fields.optionalString(functionCall, "arguments", Fields.param(at, "function_call"));
                }
            }
            default -> {
                // system, developer and user have no fields beyond content and name
            }
        }
        JsonNode content = Fields.present(message, "content");
        if (content == null) {
            boolean mayBeEmpty = role.equals("function") || role.equals("assistant")
                    && (Fields.present(message, "tool_calls") != null || Fields.present(message, "function_call") != null
                    || Fields.present(message, "refusal") != null || Fields.present(message, "audio") != null);
            if (mayBeEmpty) {
                return false;
            }
            String param = Fields.param(at, "content");
            throw ApiException.invalidRequest(param, "missing_required_parameter", "'" + param + "' is required for role '"
                    + role + "'" + (role.equals("assistant") ? " unless the message has tool_calls" : "") + ".");
        }
        return content(content, Fields.param(at, "content"), role);
    }

    private static boolean content(JsonNode content, String at, String role) {
        if (content.isTextual()) {
            return false;
        }
        if (!content.isArray() || content.isEmpty()) {
            throw ApiException.invalidRequest(at, "invalid_type",
                    "'" + at + "' must be a string or a non-empty array of content parts, got " + Fields.describe(content)
                            + (content.isArray() ? " (empty)" : "") + ".");
        }
        boolean images = false;
        for (int j = 0; j < content.size(); j++) {
            String partAt = at + "[" + j + "]";
            ObjectNode part = Fields.object(content.get(j), partAt);
            Set<String> allowed = PARTS.get(role);
            String type = Fields.requiredString(part, "type", partAt);
            if (!allowed.contains(type)) {
                throw ApiException.invalidRequest(Fields.param(partAt, "type"), "'" + Fields.param(partAt, "type")
                        + "' must be one of " + Fields.sorted(allowed) + " in a " + role + " message, got '"
                        + Quote.clip(type) + "'.");
            }
            switch (type) {
                case "text" -> stringAllowingEmpty(part, "text", partAt);
                case "refusal" -> stringAllowingEmpty(part, "refusal", partAt);
                case "image_url" -> {
                    images = true;
                    String imageAt = Fields.param(partAt, "image_url");
                    ObjectNode image = Fields.requiredObject(part, "image_url", partAt);
                    Fields.requiredString(image, "url", imageAt);
                    Fields.optionalEnum(image, "detail", IMAGE_DETAIL, imageAt);
                }
                case "input_audio" -> {
                    String audioAt = Fields.param(partAt, "input_audio");
                    ObjectNode audio = Fields.requiredObject(part, "input_audio", partAt);
                    Fields.requiredString(audio, "data", audioAt);
                    Fields.requiredEnum(audio, "format", AUDIO_FORMATS, audioAt);
                }
                case "file" -> {
                    String fileAt = Fields.param(partAt, "file");
                    ObjectNode file = Fields.requiredObject(part, "file", partAt);
                    boolean any = false;
                    for (String field : new String[] {"file_data", "file_id", "filename"}) {
                        any |= Fields.optionalString(file, field, fileAt).isPresent();
                    }
                    if (!any) {
                        throw ApiException.invalidRequest(fileAt, "missing_required_parameter",
                                "'" + fileAt + "' needs file_data, file_id or filename.");
                    }
                }
                default -> throw new IllegalStateException("a part type allowed above and not checked: " + type);
            }
        }
        return images;
    }

    /** A string field that must be there; an empty string is allowed (an empty turn is a turn). */
    private static void stringAllowingEmpty(ObjectNode part, String name, String at) {
        String param = Fields.param(at, name);
        JsonNode value = Fields.present(part, name);
        if (value == null) {
            throw ApiException.invalidRequest(param, "missing_required_parameter", "Missing required parameter: '" + param + "'.");
        }
        if (!value.isTextual()) {
            throw ApiException.invalidRequest(param, "invalid_type",
                    "'" + param + "' must be a string, got " + Fields.describe(value) + ".");
        }
    }

    /** An assistant's {@code tool_calls}: each with an id, the type {@code function}, a name and arguments as a string. */
    private static void toolCalls(ObjectNode message, String at) {
        ArrayNode calls = Fields.optionalArray(message, "tool_calls", at, false);
        if (calls == null) {
            return;
        }
        for (int k = 0; k < calls.size(); k++) {
            String callAt = Fields.param(at, "tool_calls") + "[" + k + "]";
            ObjectNode call = Fields.object(calls.get(k), callAt);
            Fields.requiredString(call, "id", callAt);
            String type = Fields.requiredEnum(call, "type", Set.of("function", "custom"), callAt);
            ObjectNode function = Fields.requiredObject(call, type, callAt);
            Fields.requiredString(function, "name", Fields.param(callAt, type));
            if (type.equals("function")) {
                stringAllowingEmpty(function, "arguments", Fields.param(callAt, type));
            } else {
                Fields.optionalString(function, "input", Fields.param(callAt, type));
            }
        }
    }
}
