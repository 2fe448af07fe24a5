package io.micromesh.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validation of a chat request's tools against OpenAI's schema: {@code tools} (each a function with
 * a name OpenAI accepts and parameters that are a JSON Schema object), {@code tool_choice} (a mode, or
 * a tool the request offers), and the deprecated {@code functions} and {@code function_call}.
 */
final class ChatTools {

    /** OpenAI's rule for a function's name. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final Set<String> MODES = Set.of("none", "auto", "required");

    private ChatTools() {
    }

    /**
     * Validates the tool fields.
     *
     * @return whether the request offers tools
     * @throws ApiException 400 naming the first parameter at fault
     */
    static boolean validate(ObjectNode body) {
        Set<String> names = new HashSet<>();
        ArrayNode tools = Fields.optionalArray(body, "tools", null, false);
        if (tools != null) {
            for (int i = 0; i < tools.size(); i++) {
                String at = "tools[" + i + "]";
                ObjectNode tool = Fields.object(tools.get(i), at);
                String type = Fields.requiredEnum(tool, "type", Set.of("function", "custom"), at);
                ObjectNode function = Fields.requiredObject(tool, type, at);
                names.add(function(function, Fields.param(at, type), type.equals("function")));
            }
        }
        toolChoice(body, names);
        Fields.optionalBoolean(body, "parallel_tool_calls", true);
        legacyFunctions(body);
        return tools != null && !tools.isEmpty();
    }

    /** A function's definition; answers its name. */
    private static String function(ObjectNode function, String at, boolean withParameters) {
        String name = Fields.requiredString(function, "name", at);
        if (!NAME.matcher(name).matches()) {
            throw ApiException.invalidRequest(Fields.param(at, "name"), "'" + Fields.param(at, "name")
                    + "' must be 1 to 64 letters, digits, underscores or dashes, got '" + Quote.clip(name) + "'.");
        }
        Fields.optionalString(function, "description", at);
        if (withParameters) {
            Fields.optionalObject(function, "parameters", at);
            Fields.optionalBoolean(function, "strict", false, at);
        }
        return name;
    }

    private static void toolChoice(ObjectNode body, Set<String> names) {
        JsonNode choice = Fields.present(body, "tool_choice");
        if (choice == null) {
            return;
        }
        if (choice.isTextual()) {
            Fields.optionalEnum(body, "tool_choice", MODES);
            if (names.isEmpty() && !choice.asText().equals("none")) {
                throw ApiException.invalidRequest("tool_choice", "'tool_choice' is '" + choice.asText()
                        + "' but the request offers no 'tools'.");
            }
            return;
        }
        ObjectNode named = Fields.object(choice, "tool_choice");
        String type = Fields.requiredEnum(named, "type", Set.of("function", "custom", "allowed_tools"), "tool_choice");
        if (type.equals("allowed_tools")) {
            Fields.requiredObject(named, "allowed_tools", "tool_choice");
            return;
        }
        ObjectNode function = Fields.requiredObject(named, type, "tool_choice");
        String name = Fields.requiredString(function, "name", "tool_choice." + type);
        if (!names.contains(name)) {
            throw ApiException.invalidRequest("tool_choice." + type + ".name", "'tool_choice." + type + ".name' is '"
                    + Quote.clip(name) + "', which is not among the request's 'tools'" + (names.isEmpty() ? " (none)" : " "
                    + names.stream().sorted().toList()) + ".");
        }
    }

    /** The deprecated {@code functions} and {@code function_call}, still sent by older clients. */
    private static void legacyFunctions(ObjectNode body) {
        Set<String> names = new HashSet<>();
        ArrayNode functions = Fields.optionalArray(body, "functions", null, false);
        if (functions != null) {
            for (int i = 0; i < functions.size(); i++) {
                names.add(function(Fields.object(functions.get(i), "functions[" + i + "]"), "functions[" + i + "]", true));
            }
        }
        JsonNode call = Fields.present(body, "function_call");
        if (call == null) {
            return;
        }
        if (call.isTextual()) {
            Fields.optionalEnum(body, "function_call", Set.of("none", "auto"));
            return;
        }
        String name = Fields.requiredString(Fields.object(call, "function_call"), "name", "function_call");
        if (!names.contains(name)) {
            throw ApiException.invalidRequest("function_call.name", "'function_call.name' is '" + Quote.clip(name)
                    + "', which is not among the request's 'functions'.");
        }
    }
}
