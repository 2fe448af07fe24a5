package io.micromesh.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Typed reads of request fields, each failing with a 400 that names the parameter, the value
 * received and what is allowed. A JSON {@code null} counts as absent, as OpenAI treats it.
 *
 * <p>Each read takes the object holding the field, the field's name, and optionally the path of
 * the object in the request ({@code messages[2]}), so that a nested mistake is named in full
 * ({@code messages[2].tool_call_id}), as OpenAI names it.
 */
final class Fields {

    private Fields() {
    }

    /** The parameter's full name: {@code name} under {@code at}, or {@code name} at the top. */
    static String param(String at, String name) {
        return at == null || at.isEmpty() ? name : at + "." + name;
    }

    static JsonNode present(ObjectNode body, String name) {
        JsonNode node = body.get(name);
        return node == null || node.isNull() ? null : node;
    }

    static String requiredString(ObjectNode body, String name) {
        return requiredString(body, name, null);
    }

    /** A string that must be there and not blank. */
    static String requiredString(ObjectNode body, String name, String at) {
        String param = param(at, name);
        JsonNode node = present(body, name);
        if (node == null) {
            throw ApiException.invalidRequest(param, "missing_required_parameter",
                    "Missing required parameter: '" + param + "'.");
        }
        if (!node.isTextual() || node.asText().isBlank()) {
            throw ApiException.invalidRequest(param, "invalid_type",
                    "'" + param + "' must be a non-empty string, got " + describe(node) + ".");
        }
        return node.asText();
    }

    static Optional<String> optionalString(ObjectNode body, String name) {
        return optionalString(body, name, null);
    }

    static Optional<String> optionalString(ObjectNode body, String name, String at) {
        JsonNode node = present(body, name);
        if (node == null) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            String param = param(at, name);
            throw ApiException.invalidRequest(param, "invalid_type",
                    "'" + param + "' must be a string, got " + describe(node) + ".");
        }
        return Optional.of(node.asText());
    }

    static Optional<String> optionalEnum(ObjectNode body, String name, Set<String> allowed) {
        return optionalEnum(body, name, allowed, null);
    }

    static Optional<String> optionalEnum(ObjectNode body, String name, Set<String> allowed, String at) {
        Optional<String> value = optionalString(body, name, at);
        value.ifPresent(v -> {
            if (!allowed.contains(v)) {
                String param = param(at, name);
                throw ApiException.invalidRequest(param,
                        "'" + param + "' must be one of " + sorted(allowed) + ", got '" + Quote.clip(v) + "'.");
            }
        });
        return value;
    }

    /** An enum value that must be there. */
    static String requiredEnum(ObjectNode body, String name, Set<String> allowed, String at) {
        requiredString(body, name, at);
        return optionalEnum(body, name, allowed, at).orElseThrow();
    }

    static boolean optionalBoolean(ObjectNode body, String name, boolean fallback) {
        return optionalBoolean(body, name, fallback, null);
    }

    static boolean optionalBoolean(ObjectNode body, String name, boolean fallback, String at) {
        JsonNode node = present(body, name);
        if (node == null) {
            return fallback;
        }
        if (!node.isBoolean()) {
            String param = param(at, name);
            throw ApiException.invalidRequest(param, "invalid_type",
                    "'" + param + "' must be true or false, got " + describe(node) + ".");
        }
        return node.booleanValue();
    }

    static OptionalLong optionalInteger(ObjectNode body, String name, long min, long max) {
        JsonNode node = present(body, name);
        if (node == null) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(integer(node, name, min, max));
    }

    /** A whole number in range; {@code param} names it in the error. */
    static long integer(JsonNode node, String param, long min, long max) {
        boolean whole = node.isIntegralNumber() || (node.isNumber() && node.asDouble() == Math.rint(node.asDouble()));
        if (!whole || !node.canConvertToLong()) {
            throw ApiException.invalidRequest(param, "invalid_type",
                    "'" + param + "' must be an integer from " + min + " to " + max + ", got " + describe(node) + ".");
        }
        long value = node.asLong();
        if (value < min || value > max) {
            throw ApiException.invalidRequest(param,
                    "'" + param + "' must be an integer from " + min + " to " + max + ", got " + value + ".");
        }
        return value;
    }

    static OptionalDouble optionalNumber(ObjectNode body, String name, double min, double max) {
        JsonNode node = present(body, name);
        if (node == null) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(number(node, name, min, max));
    }

    /** A number in range; {@code param} names it in the error. */
    static double number(JsonNode node, String param, double min, double max) {
        if (!node.isNumber()) {
            throw ApiException.invalidRequest(param, "invalid_type",
                    "'" + param + "' must be a number from " + min + " to " + max + ", got " + describe(node) + ".");
        }
        double value = node.asDouble();
        if (!(value >= min && value <= max)) {
            throw ApiException.invalidRequest(param,
                    "'" + param + "' must be a number from " + min + " to " + max + ", got " + Quote.clip(node.toString()) + ".");
        }
        return value;
    }

    static ObjectNode optionalObject(ObjectNode body, String name) {
        return optionalObject(body, name, null);
    }

    static ObjectNode optionalObject(ObjectNode body, String name, String at) {
        JsonNode node = present(body, name);
        if (node == null) {
            return null;
        }
        return object(node, param(at, name));
    }

    /** An object that must be there. */
    static ObjectNode requiredObject(ObjectNode body, String name, String at) {
        String param = param(at, name);
        if (present(body, name) == null) {
            throw ApiException.invalidRequest(param, "missing_required_parameter", "Missing required parameter: '" + param + "'.");
        }
        return optionalObject(body, name, at);
    }

    /** The node as an object; {@code param} names it in the error. */
    static ObjectNode object(JsonNode node, String param) {
        if (!node.isObject()) {
            throw ApiException.invalidRequest(param, "invalid_type",
                    "'" + param + "' must be an object, got " + describe(node) + ".");
        }
        return (ObjectNode) node;
    }

    /** An array, when there; {@code nonEmpty} refuses {@code []}. */
    static ArrayNode optionalArray(ObjectNode body, String name, String at, boolean nonEmpty) {
        JsonNode node = present(body, name);
        if (node == null) {
            return null;
        }
        String param = param(at, name);
        if (!node.isArray() || nonEmpty && node.isEmpty()) {
            throw ApiException.invalidRequest(param, "invalid_type",
                    "'" + param + "' must be " + (nonEmpty ? "a non-empty array" : "an array") + ", got "
                            + describe(node) + (node.isArray() ? " (empty)" : "") + ".");
        }
        return (ArrayNode) node;
    }

    /** Validates {@code stop}: a string or an array of at most 4 strings. */
    static void stop(ObjectNode body) {
        JsonNode stop = present(body, "stop");
        if (stop == null || stop.isTextual()) {
            return;
        }
        if (!stop.isArray() || stop.size() > 4) {
            throw ApiException.invalidRequest("stop",
                    "'stop' must be a string or an array of up to 4 strings, got " + describe(stop) + ".");
        }
        for (JsonNode s : stop) {
            if (!s.isTextual()) {
                throw ApiException.invalidRequest("stop", "'stop' entries must be strings, got " + describe(s) + ".");
            }
        }
    }

    /**
     * Validates {@code logit_bias}: token ids (as the object's keys, whole numbers from 0) mapped to
     * biases from -100 to 100. Whether an id is in a model's vocabulary is for the model to check.
     */
    static void logitBias(ObjectNode body) {
        ObjectNode bias = optionalObject(body, "logit_bias");
        if (bias == null) {
            return;
        }
        for (var entry : bias.properties()) {
            String key = entry.getKey();
            if (!key.matches("\\d{1,10}") || Long.parseLong(key) > Integer.MAX_VALUE) {
                throw ApiException.invalidRequest("logit_bias", "'logit_bias' keys are token ids (whole numbers from 0 to "
                        + Integer.MAX_VALUE + "), got '" + Quote.clip(key) + "'.");
            }
            number(entry.getValue(), "logit_bias." + key, -100, 100);
        }
    }

    /** A short description of a JSON value for error messages: its type, and the value when small. */
    static String describe(JsonNode node) {
        String type = switch (node.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase();
        };
        String text = node.toString();
        return node.isContainerNode() || text.length() > 40 ? type : type + " (" + text + ")";
    }

    static String sorted(Set<String> allowed) {
        return allowed.stream().sorted().toList().toString();
    }
}
