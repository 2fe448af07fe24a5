package io.micromesh.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Typed reads of request fields, each failing with a 400 that names the parameter, the value
 * received and what is allowed. A JSON {@code null} counts as absent, as OpenAI treats it.
 */
final class Fields {

    private Fields() {
    }

    static JsonNode present(ObjectNode body, String name) {
        JsonNode node = body.get(name);
        return node == null || node.isNull() ? null : node;
    }

    static String requiredString(ObjectNode body, String name) {
        JsonNode node = present(body, name);
        if (node == null) {
            throw ApiException.invalidRequest(name, "missing_required_parameter",
                    "Missing required parameter: '" + name + "'.");
        }
        if (!node.isTextual() || node.asText().isBlank()) {
            throw ApiException.invalidRequest(name, "invalid_type",
                    "'" + name + "' must be a non-empty string, got " + describe(node) + ".");
        }
        return node.asText();
    }

    static Optional<String> optionalString(ObjectNode body, String name) {
        JsonNode node = present(body, name);
        if (node == null) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw ApiException.invalidRequest(name, "invalid_type",
                    "'" + name + "' must be a string, got " + describe(node) + ".");
        }
        return Optional.of(node.asText());
    }

    static Optional<String> optionalEnum(ObjectNode body, String name, Set<String> allowed) {
        Optional<String> value = optionalString(body, name);
        value.ifPresent(v -> {
            if (!allowed.contains(v)) {
                throw ApiException.invalidRequest(name,
                        "'" + name + "' must be one of " + sorted(allowed) + ", got '" + v + "'.");
            }
        });
        return value;
    }

    static boolean optionalBoolean(ObjectNode body, String name, boolean fallback) {
        JsonNode node = present(body, name);
        if (node == null) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw ApiException.invalidRequest(name, "invalid_type",
                    "'" + name + "' must be true or false, got " + describe(node) + ".");
        }
        return node.booleanValue();
    }

    static OptionalLong optionalInteger(ObjectNode body, String name, long min, long max) {
        JsonNode node = present(body, name);
        if (node == null) {
            return OptionalLong.empty();
        }
        boolean whole = node.isIntegralNumber() || (node.isNumber() && node.asDouble() == Math.rint(node.asDouble()));
        if (!whole || !node.canConvertToLong()) {
            throw ApiException.invalidRequest(name, "invalid_type",
                    "'" + name + "' must be an integer from " + min + " to " + max + ", got " + describe(node) + ".");
        }
        long value = node.asLong();
        if (value < min || value > max) {
            throw ApiException.invalidRequest(name,
                    "'" + name + "' must be an integer from " + min + " to " + max + ", got " + value + ".");
        }
        return OptionalLong.of(value);
    }

    static OptionalDouble optionalNumber(ObjectNode body, String name, double min, double max) {
        JsonNode node = present(body, name);
        if (node == null) {
            return OptionalDouble.empty();
        }
        if (!node.isNumber()) {
            throw ApiException.invalidRequest(name, "invalid_type",
                    "'" + name + "' must be a number from " + min + " to " + max + ", got " + describe(node) + ".");
        }
        double value = node.asDouble();
        if (!(value >= min && value <= max)) {
            throw ApiException.invalidRequest(name,
                    "'" + name + "' must be a number from " + min + " to " + max + ", got " + node + ".");
        }
        return OptionalDouble.of(value);
    }

    static ObjectNode optionalObject(ObjectNode body, String name) {
        JsonNode node = present(body, name);
        if (node == null) {
            return null;
        }
        if (!node.isObject()) {
            throw ApiException.invalidRequest(name, "invalid_type",
                    "'" + name + "' must be an object, got " + describe(node) + ".");
        }
        return (ObjectNode) node;
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


    private static String sorted(Set<String> allowed) {
        return allowed.stream().sorted().toList().toString();
    }
}
