package io.micromesh.engines.llamacpp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.core.MeshException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a chat request asks of a llama.cpp model's tools: the functions offered, whether the model
 * must, may or must not call one ({@code tool_choice}), and whether it may call several at once
 * ({@code parallel_tool_calls}). The request was validated at the edge; what is refused here is
 * only what a local model cannot do ({@code custom} tools, {@code allowed_tools}, the deprecated
 * {@code functions}).
 *
 * @param tools    the functions offered, in the request's order (with {@code NAMED}, only the one named)
 * @param mode     how the model must use them
 * @param parallel whether one answer may hold several calls
 */
record ToolUse(List<Function> tools, Mode mode, boolean parallel) {

    /** How a tool must be used. */
    enum Mode {
        /** The model answers text or calls a tool. */
        AUTO,
        /** The model calls at least one tool. */
        REQUIRED,
        /** The model calls the one tool named in {@code tool_choice}. */
        NAMED
    }

    /**
     * A function offered to the model.
     *
     * @param name       its name
     * @param definition the whole tool as the client sent it, rendered into the prompt
     * @param parameters the JSON schema of its arguments ({@code {"type":"object"}} when none is given)
     */
    record Function(String name, ObjectNode definition, ObjectNode parameters) {
    }

    /** The tool use a request asks for, or empty when it offers none or says {@code tool_choice: none}. */
    static Optional<ToolUse> of(ObjectNode body) {
        if (body.hasNonNull("functions") || body.hasNonNull("function_call")) {
            throw MeshException.invalid("functions", "'functions' and 'function_call' are deprecated and not served by"
                    + " llama.cpp models; send 'tools' and 'tool_choice'.");
        }
        JsonNode offered = body.path("tools");
        if (!offered.isArray() || offered.isEmpty()) {
            return Optional.empty();
        }
        List<Function> tools = new ArrayList<>();
        for (int i = 0; i < offered.size(); i++) {
            JsonNode tool = offered.get(i);
            if (!tool.path("type").asText().equals("function")) {
                throw MeshException.invalid("tools[" + i + "].type", "llama.cpp models call 'function' tools only, got '"
                        + tool.path("type").asText() + "'.");
            }
            JsonNode parameters = tool.path("function").path("parameters");
            ObjectNode schema = parameters.isObject() && !parameters.isEmpty()
                    ? (ObjectNode) parameters : Json.object().put("type", "object");
            // checked in Java first: what llama.cpp's converter cannot take aborts the worker process
            GrammarSchema.check(schema, "tools[" + i + "].function.parameters");
            tools.add(new Function(tool.path("function").path("name").asText(), (ObjectNode) tool, schema));
        }
        boolean parallel = body.path("parallel_tool_calls").asBoolean(true);
        JsonNode choice = body.path("tool_choice");
        if (choice.isMissingNode() || choice.isNull() || choice.asText().equals("auto")) {
            return Optional.of(new ToolUse(tools, Mode.AUTO, parallel));
        }
        if (choice.isTextual()) {
            return choice.asText().equals("none") ? Optional.empty() : Optional.of(new ToolUse(tools, Mode.REQUIRED, parallel));
        }
        if (!choice.path("type").asText().equals("function")) {
            throw MeshException.invalid("tool_choice.type", "llama.cpp models take 'tool_choice' as none, auto, required"
                    + " or a named function, got type '" + choice.path("type").asText() + "'.");
        }
        String name = choice.path("function").path("name").asText();
        List<Function> named = tools.stream().filter(tool -> tool.name().equals(name)).toList();
        return Optional.of(new ToolUse(named, Mode.NAMED, false));
    }
}
