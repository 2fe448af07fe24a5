package io.micromesh.engines.llamacpp;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import java.util.List;

/**
 * How a model family writes tools into its prompt and calls into its answers.
 *
 * <ul>
 *   <li>{@link #GRANITE}: IBM Granite 3.x's chat format: the tools as an {@code available_tools} turn,
 *       a call as {@code <|tool_call|>} followed by a JSON list of {@code {"name", "arguments"}}
 *       objects, a tool's result as a {@code tool_response} turn. Chosen when the model's chat
 *       template uses Granite's {@code <|start_of_role|>} markers; the whole prompt is then written
 *       here, since llama.cpp's built-in template takes no tools.</li>
 *   <li>{@link #CHATML}: the fallback for every other model, in the convention ChatML-trained models
 *       with tool use share: the tools as JSON inside {@code <tools>} in the system message, each call
 *       as a JSON object inside {@code <tool_call>} tags, a result as a user turn inside
 *       {@code <tool_response>} tags. The conversation then goes through the model's own template.</li>
 * </ul>
 */
enum ToolFormat {
    GRANITE("<|tool_call|>"),
    CHATML("<tool_call>");

    private final String marker;

    ToolFormat(String marker) {
        this.marker = marker;
    }

    /** The format of a model with this chat template (from its GGUF's {@code tokenizer.chat_template}). */
    static ToolFormat of(String chatTemplate) {
        return chatTemplate != null && chatTemplate.contains("<|start_of_role|>") ? GRANITE : CHATML;
    }

    /** What starts a call in this format's answers. */
    String marker() {
        return marker;
    }

    // ---------------------------------------------------------------- grammar

    /** The rule {@code calls}: one call, or (parallel) one or more, in this format. Uses the rule {@code call}. */
    String callsRule(boolean parallel) {
        return switch (this) {
            case GRANITE -> "calls ::= \"[\" call" + (parallel ? " (\", \" call)*" : "") + " \"]\"";
            case CHATML -> "block ::= \"<tool_call>\\n\" call \"\\n</tool_call>\"\ncalls ::= block"
                    + (parallel ? " (\"\\n\" block)*" : "");
        };
    }

    /**
     * The grammar text for a whole answer of calls. Granite's marker is optional: it is a special
     * token in Granite's vocabulary, which llama.cpp does not print, so an answer may arrive as the
     * bare list either way.
     */
    String callsWithMarker() {
        return this == GRANITE ? "\"<|tool_call|>\"? calls" : "calls";
    }

    /** A character class for the first character of a text answer: one that cannot start a call. */
    String textStart() {
        return this == GRANITE ? "[^<\\[]" : "[^<]";
    }

    /**
     * Whether an answer that begins with {@code text} is a call ({@code TRUE}), text ({@code FALSE}),
     * or cannot be told yet ({@code null}: empty, or a beginning of the marker).
     */
    Boolean startsCall(String text) {
        if (text.startsWith(marker) || (this == GRANITE && text.startsWith("["))) {
            return Boolean.TRUE;
        }
        return marker.startsWith(text) ? null : Boolean.FALSE;
    }

    // ---------------------------------------------------------------- prompt

    /** A call as the model writes it: {@code {"name": "NAME", "arguments": ARGS}}, ARGS verbatim. */
    static String callObject(String name, String arguments) {
        String args = arguments == null || arguments.isBlank() ? "{}" : arguments;
        return "{\"name\": " + Json.string(Json.mapper().getNodeFactory().textNode(name)) + ", \"arguments\": " + args + "}";
    }

    /** An assistant turn's calls (OpenAI's {@code tool_calls}) the way this format writes them. */
    String calls(JsonNode toolCalls) {
        List<String> objects = new java.util.ArrayList<>();
        toolCalls.forEach(call -> objects.add(callObject(call.path("function").path("name").asText(),
                call.path("function").path("arguments").asText())));
        return switch (this) {
            case GRANITE -> marker + "[" + String.join(", ", objects) + "]";
            case CHATML -> String.join("\n", objects.stream().map(o -> "<tool_call>\n" + o + "\n</tool_call>").toList());
        };
    }

    /** The system message's part about tools, for {@link #CHATML}. */
    static String chatmlToolSection(ToolUse use) {
        StringBuilder section = new StringBuilder("# Tools\n\nYou can call functions to answer. Their signatures are"
                + " listed inside <tools></tools>:\n<tools>");
        use.tools().forEach(tool -> section.append('\n').append(Json.string(tool.definition())));
        section.append("\n</tools>\n\nTo call a function, answer with one JSON object per call, each inside"
                + " <tool_call></tool_call> tags:\n<tool_call>\n{\"name\": <function name>, \"arguments\": <arguments as a"
                + " JSON object>}\n</tool_call>");
        return section.toString();
    }

    /** A tool's result as a user turn, for {@link #CHATML}. */
    static String chatmlToolResponse(String content) {
        return "<tool_response>\n" + content + "\n</tool_response>";
    }

    /** Granite's instruction when tools are offered and the client gave no system message. */
    static final String GRANITE_TOOL_SYSTEM = "You are a helpful assistant with access to the tools listed below. When"
            + " a tool is needed to answer, reply with <|tool_call|> followed by a JSON list of the calls. If no listed"
            + " tool fits, say that you cannot do it.";

    /** One Granite turn. */
    static String graniteTurn(String role, String content) {
        return "<|start_of_role|>" + role + "<|end_of_role|>" + content + "<|end_of_text|>\n";
    }

    /** Granite's {@code available_tools} turn. */
    static String graniteTools(ToolUse use) {
        List<String> definitions = use.tools().stream().map(tool -> Json.string(tool.definition())).toList();
        return graniteTurn("available_tools", String.join("\n\n", definitions));
    }

    /** What opens the answer in Granite's format. */
    static final String GRANITE_GENERATION = "<|start_of_role|>assistant<|end_of_role|>";
}
