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

/**
 * Turns a validated OpenAI request into what llama.cpp takes: the prompt text (a chat rendered with
 * the model's own chat template) and the sampling parameters, {@code response_format} compiled to
 * a grammar. Parameters are mapped with OpenAI's defaults (temperature 1, top_p 1); llama.cpp's
 * own top-k and min-p filters stay at its defaults. Calls native code (the template and the
 * grammar compiler): run it on a platform thread.
 */
final class LlamaPrompt {

    /** Grammar source for {@code json_object}: any JSON object. */
    private static final String ANY_OBJECT_SCHEMA = "{\"type\":\"object\"}";

    private LlamaPrompt() {
    }

    /**
     * The prompt text of a request.
     *
     * @param vocabulary the model's vocabulary size: token ids must be below it (llama.cpp aborts on others)
     */
    static String text(LlamaModel model, MeshRequest request, int vocabulary) {
        return switch (request) {
            case ChatRequest chat -> chat(model, chat.body());
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
     */
    static InferenceParameters parameters(MeshRequest request, String prompt, int maxNew, int vocabulary) {
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
        if (body.get("logit_bias") instanceof ObjectNode bias && !bias.isEmpty()) {
            params.setTokenIdBias(logitBias(bias, vocabulary));
        }
        if (request instanceof ChatRequest chat && !chat.responseFormat().equals("text")) {
            params.setGrammar(grammar(body.path("response_format")));
        }
        return params;
    }

    private static String chat(LlamaModel model, ObjectNode body) {
        StringBuilder system = new StringBuilder();
        List<Pair<String, String>> turns = new ArrayList<>();
        JsonNode messages = body.get("messages");
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
                case "user", "assistant" -> turns.add(new Pair<>(role, content));
                default -> throw MeshException.invalid("messages[" + i + "].role", "role '" + role
                        + "' is not supported by llama.cpp models (no tool calling); use system, user and assistant.");
            }
        }
        if (turns.isEmpty()) {
            throw MeshException.invalid("messages", "a chat needs at least one user message.");
        }
        return model.applyTemplate(new InferenceParameters("").setMessages(system.toString(), turns));
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
