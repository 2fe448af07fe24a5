package io.micromesh.engines.llamacpp;

import io.micromesh.core.MeshException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.Pair;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.CompletionRequest;
import io.micromesh.api.MeshRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a validated OpenAI request into what llama.cpp takes: the prompt text (a chat rendered with
 * the model's own chat template) and the sampling parameters, {@code response_format} compiled to
 * a grammar, and offered tools rendered the way the model's {@link ToolFormat} expects and compiled to
 * a grammar of their calls. Parameters are mapped with OpenAI's defaults (temperature 1, top_p 1); llama.cpp's
 * own top-k and min-p filters stay at its defaults. Calls native code (the template and the
 * grammar compiler): run it on a platform thread.
 */
final class LlamaPrompt {

    /** A bias that keeps a token out (the binding cannot write an infinite one). */
    private static final float BANNED = -1000f;

    /** Grammar source for {@code json_object}: any JSON object. */
    private static final String ANY_OBJECT_SCHEMA = "{\"type\":\"object\"}";

    private LlamaPrompt() {
    }

    /**
     * The prompt text of a request.
     *
     * @param vocabulary the model's vocabulary size: token ids must be below it (llama.cpp aborts on others)
     * @param tools      the request's tool use ({@link ToolUse#of}), rendered into the prompt
     * @param format     how the model expects tools, calls and results
     */
    static String text(LlamaModel model, MeshRequest request, int vocabulary, Optional<ToolUse> tools, ToolFormat format) {
        return switch (request) {
            case ChatRequest chat -> chat(model, chat.body(), tools, format);
            case CompletionRequest completion -> completionPrompt(model, completion.body(), vocabulary);
            default -> throw MeshException.unsupported("model", "a llama.cpp model serves chat and text completions,"
                    + " not /v1" + request.operation().path() + ".");
        };
    }

    /**
     * The sampling parameters of a request, for a prompt already rendered.
     *
     * @param maxNew     the number of tokens to generate at most
     * @param vocabulary the model's vocabulary size: {@code logit_bias} ids must be below it
     * @param tools      the request's tool use, if any: the answer is then constrained to its calls
     * @param format     how the model writes calls
     * @param nonUtf8    tokens kept out of answers under a grammar ({@link NonUtf8Tokens})
     */
    static InferenceParameters parameters(MeshRequest request, String prompt, int maxNew, int vocabulary,
                                          Optional<ToolUse> tools, ToolFormat format, Set<Integer> nonUtf8) {
        ObjectNode body = request.body();
        InferenceParameters params = new InferenceParameters(prompt)
                .setNPredict(maxNew)
                .setCachePrompt(true)
                .setTemperature((float) body.path("temperature").asDouble(1.0))
                .setTopP((float) body.path("top_p").asDouble(1.0));
        if (body.path("ignore_eos").asBoolean(false)) {
            params.setIgnoreEos(true);  // vLLM's extension, for benchmarks that need exact output lengths
        }
        if (body.hasNonNull("seed")) {
            params.setSeed((int) body.get("seed").asLong());
        }
        if (body.hasNonNull("presence_penalty")) {
            params.setPresencePenalty((float) body.get("presence_penalty").asDouble());
        }
        if (body.hasNonNull("frequency_penalty")) {
            params.setFrequencyPenalty((float) body.get("frequency_penalty").asDouble());
        }
        List<String> stops = stops(body.get("stop"));
        if (!stops.isEmpty()) {
            params.setStopStrings(stops.toArray(String[]::new));
        }
        Map<Integer, Float> bias = body.get("logit_bias") instanceof ObjectNode asked && !asked.isEmpty()
                ? logitBias(asked, vocabulary) : new HashMap<>();
        boolean grammar = tools.isPresent() || request instanceof ChatRequest json && !json.responseFormat().equals("text");
        if (grammar) {
            // one map: the binding writes the client's bias and banned tokens under the same key
            nonUtf8.forEach(id -> bias.put(id, BANNED));
        }
        if (!bias.isEmpty()) {
            params.setTokenIdBias(bias);
        }
        if (tools.isPresent()) {
            if (request instanceof ChatRequest chat && !chat.responseFormat().equals("text")) {
                throw MeshException.invalid("response_format", "llama.cpp models take 'response_format' with 'tools'"
                        + " only when 'tool_choice' is 'none': the answer is constrained to either the tools' calls or"
                        + " the JSON schema, not both.");
            }
            params.setGrammar(ToolGrammar.of(tools.get(), format));
        } else if (request instanceof ChatRequest chat && !chat.responseFormat().equals("text")) {
            params.setGrammar(grammar(body.path("response_format")));
        }
        return params;
    }

    private static String chat(LlamaModel model, ObjectNode body, Optional<ToolUse> tools, ToolFormat format) {
        Conversation conversation = Conversation.of(body.get("messages"));
        boolean toolTurns = conversation.turns().stream().anyMatch(t -> t.role().equals("tool") || t.calls().size() > 0);
        if (format == ToolFormat.GRANITE && (tools.isPresent() || toolTurns)) {
            return granite(conversation, tools);
        }
        List<Pair<String, String>> turns = new ArrayList<>();
        boolean lastWasToolResult = false;
        for (Turn turn : conversation.turns()) {
            switch (turn.role()) {
                case "assistant" -> turns.add(new Pair<>("assistant", withCalls(turn, ToolFormat.CHATML)));
                case "tool" -> {
                    // results of one round of calls go back as one user turn, as ChatML tool models expect
                    String result = ToolFormat.chatmlToolResponse(turn.content());
                    if (lastWasToolResult) {
                        result = turns.remove(turns.size() - 1).getValue() + "\n" + result;
                    }
                    turns.add(new Pair<>("user", result));
                }
                default -> turns.add(new Pair<>(turn.role(), turn.content()));
            }
            lastWasToolResult = turn.role().equals("tool");
        }
        StringBuilder system = new StringBuilder(conversation.system());
        tools.ifPresent(use -> system.append(system.isEmpty() ? "" : "\n\n").append(ToolFormat.chatmlToolSection(use)));
        return model.applyTemplate(new InferenceParameters("").setMessages(system.toString(), turns));
    }

    /** A whole prompt in Granite 3.x's format, written here because llama.cpp's built-in template takes no tools. */
    private static String granite(Conversation conversation, Optional<ToolUse> tools) {
        String system = conversation.system().isEmpty() && tools.isPresent() ? ToolFormat.GRANITE_TOOL_SYSTEM
                : conversation.system();
        StringBuilder prompt = new StringBuilder();
        if (!system.isEmpty()) {
            prompt.append(ToolFormat.graniteTurn("system", system));
        }
        tools.ifPresent(use -> prompt.append(ToolFormat.graniteTools(use)));
        for (Turn turn : conversation.turns()) {
            prompt.append(switch (turn.role()) {
                case "assistant" -> ToolFormat.graniteTurn("assistant", withCalls(turn, ToolFormat.GRANITE));
                case "tool" -> ToolFormat.graniteTurn("tool_response", turn.content());
                default -> ToolFormat.graniteTurn(turn.role(), turn.content());
            });
        }
        return prompt.append(ToolFormat.GRANITE_GENERATION).toString();
    }

    /**
     * A chat's messages read once, whatever the format they are written in next: the system text (the
     * system and developer messages, which must come first) and the turns after it.
     */
    private record Conversation(String system, List<Turn> turns) {

        static Conversation of(JsonNode messages) {
            StringBuilder system = new StringBuilder();
            List<Turn> turns = new ArrayList<>();
            for (int i = 0; i < messages.size(); i++) {
                JsonNode message = messages.get(i);
                String role = message.get("role").asText();
                String content = content(message.get("content"), "messages[" + i + "].content");
                switch (role) {
                    case "system", "developer" -> {
                        if (!turns.isEmpty()) {
                            throw MeshException.invalid("messages[" + i + "].role", "a '" + role
                                    + "' message after the conversation started is not supported by llama.cpp models;"
                                    + " put system instructions first.");
                        }
                        system.append(system.isEmpty() ? "" : "\n\n").append(content);
                    }
                    case "user", "assistant", "tool" -> turns.add(new Turn(role, content, message.path("tool_calls")));
                    default -> throw MeshException.invalid("messages[" + i + "].role", "role '" + role
                            + "' is not supported by llama.cpp models; use system, user, assistant and tool.");
                }
            }
            if (turns.isEmpty()) {
                throw MeshException.invalid("messages", "a chat needs at least one user message.");
            }
            return new Conversation(system.toString(), turns);
        }
    }

    /** One message after the system text: its role, its text, and (an assistant's) the calls it made. */
    private record Turn(String role, String content, JsonNode calls) {
    }

    /** An assistant turn's text with the calls it made, written the way the model writes them. */
    private static String withCalls(Turn turn, ToolFormat format) {
        if (!turn.calls().isArray() || turn.calls().isEmpty()) {
            return turn.content();
        }
        return (turn.content().isEmpty() ? "" : turn.content() + "\n") + format.calls(turn.calls());
    }

    private static String content(JsonNode content, String param) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        for (int j = 0; j < content.size(); j++) {
            JsonNode part = content.get(j);
            if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
                throw MeshException.unsupported(param + "[" + j + "]", "llama.cpp models take text parts only, got '"
                        + part.path("type").asText() + "'.");
            }
            text.append(part.get("text").asText());
        }
        return text.toString();
    }

    private static String completionPrompt(LlamaModel model, ObjectNode body, int vocabulary) {
        JsonNode prompt = body.get("prompt");
        if (prompt.isTextual()) {
            return prompt.asText();
        }
        if (prompt.size() != 1 && !prompt.get(0).isIntegralNumber()) {
            throw MeshException.invalid("prompt", "a llama.cpp model completes one prompt per request; got "
                    + prompt.size() + ". Send them as separate requests (they run side by side on the slots).");
        }
        JsonNode single = prompt.get(0).isIntegralNumber() ? prompt : prompt.get(0);
        if (single.isTextual()) {
            return single.asText();
        }
        int[] ids = new int[single.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = token(single.get(i), vocabulary, "prompt");
        }
        return model.decode(ids);
    }

    private static List<String> stops(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isTextual()) {
            return List.of(stop.asText());
        }
        List<String> stops = new ArrayList<>();
        stop.forEach(s -> stops.add(s.asText()));
        return stops;
    }

    /** A token id of the request, checked against the vocabulary before native code decodes it. */
    private static int token(JsonNode id, int vocabulary, String param) {
        if (!id.isIntegralNumber() || id.asLong() < 0 || id.asLong() >= vocabulary) {
            throw MeshException.invalid(param, "'" + param + "' holds token id " + clipped(id.toString()) + "; this model's token"
                    + " ids are from 0 to " + (vocabulary - 1) + ".");
        }
        return id.asInt();
    }

    private static String clipped(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }

    private static Map<Integer, Float> logitBias(ObjectNode bias, int vocabulary) {
        Map<Integer, Float> byToken = new HashMap<>();
        for (Map.Entry<String, JsonNode> entry : bias.properties()) {
            long token;
            try {
                token = Long.parseLong(entry.getKey());
            } catch (NumberFormatException e) {
                throw MeshException.invalid("logit_bias", "'logit_bias' keys are token ids, got '"
                        + clipped(entry.getKey()) + "'.");
            }
            if (token < 0 || token >= vocabulary) {
                throw MeshException.invalid("logit_bias", "'logit_bias' names token " + token + "; this model's token ids"
                        + " are from 0 to " + (vocabulary - 1) + ".");
            }
            double value = entry.getValue().asDouble(Double.NaN);
            if (!entry.getValue().isNumber() || value < -100 || value > 100) {
                throw MeshException.invalid("logit_bias", "'logit_bias' values are numbers from -100 to 100, got "
                        + clipped(entry.getValue().toString()) + " for token " + token + ".");
            }
            byToken.put((int) token, (float) value);
        }
        return byToken;
    }

    /** The grammar that constrains the output to the requested JSON. */
    private static String grammar(JsonNode format) {
        JsonNode schema = format.path("json_schema").path("schema");
        boolean given = format.path("type").asText().equals("json_schema") && schema.isObject();
        if (given) {
            // in Java first: what llama.cpp's converter cannot take aborts the whole worker process
            GrammarSchema.check(schema, "response_format.json_schema.schema");
        }
        String source = given ? schema.toString() : ANY_OBJECT_SCHEMA;
        try {
            return LlamaModel.jsonSchemaToGrammar(source);
        } catch (RuntimeException e) {
            throw MeshException.invalid("response_format.json_schema.schema",
                    "the JSON schema cannot be turned into a grammar for llama.cpp: " + e.getMessage());
        }
    }
}
