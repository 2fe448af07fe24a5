package io.micromesh.core.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.CompletionRequest;
import io.micromesh.api.EmbeddingRequest;
import io.micromesh.api.MeshRequest;
import io.micromesh.api.ResponsesRequest;
import io.micromesh.core.config.Capability;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What the router and the fit checks know of a request, read once: its size, what it needs, and the
 * signals rules and intents look at. Prompt tokens are estimated at four characters per token (a
 * rule of thumb for English with BPE vocabularies), since no model has been chosen whose tokenizer
 * could count.
 *
 * @param promptTokens   estimated prompt tokens
 * @param maxTokens      {@code max_tokens} (or {@code max_completion_tokens}), 0 when not given
 * @param maxTokensParam the name of the parameter that set {@code maxTokens}, for messages
 * @param needs          the capabilities a model must have to serve it, the operation's first
 * @param choices        {@code n}: the choices asked for
 * @param logprobs       token log-probabilities are asked for
 * @param tools          it offers tools
 * @param responseFormat it asks for JSON output
 * @param images         a message carries an image
 * @param task           the {@code x-mesh-task} header, or null
 * @param user           the {@code user} field, or null
 * @param metadata       the {@code metadata} entries that are text
 * @param lastUserText   the last user message's text (a completion's prompt, an embedding's input), for intents
 */
public record RequestFacts(long promptTokens, long maxTokens, String maxTokensParam, Set<Capability> needs, int choices,
                           boolean logprobs, boolean tools, boolean responseFormat, boolean images, String task,
                           String user, Map<String, String> metadata, String lastUserText) {

    private static final int CHARS_PER_TOKEN = 4;

    /** The same facts of a request whose task is {@code task} (set by a route's task rules). */
    public RequestFacts withTask(String task) {
        return new RequestFacts(promptTokens, maxTokens, maxTokensParam, needs, choices, logprobs, tools, responseFormat,
                images, task, user, metadata, lastUserText);
    }

    /** The facts of a validated request and its {@code x-mesh-task} header (null when absent). */
    public static RequestFacts of(MeshRequest request, String task) {
        ObjectNode body = request.body();
        Set<Capability> needs = EnumSet.of(Capability.of(request.operation()));
        Map<String, String> metadata = new LinkedHashMap<>();
        body.path("metadata").properties().forEach(e -> {
            if (e.getValue().isTextual()) {
                metadata.put(e.getKey(), e.getValue().asText());
            }
        });
        String user = body.path("user").isTextual() ? body.get("user").asText() : null;
        return switch (request) {
            case ChatRequest chat -> {
                boolean json = needs(chat, needs);
                long chars = 0;
                String lastUser = "";
                for (JsonNode message : body.path("messages")) {
                    String text = text(message.path("content"));
                    chars += text.length();
                    if (message.path("role").asText().equals("user")) {
                        lastUser = text;
                    }
                }
                boolean logprobs = body.path("logprobs").asBoolean(false) || body.path("top_logprobs").asInt(0) > 0;
                yield new RequestFacts(chars / CHARS_PER_TOKEN + 1, chat.maxTokens().orElse(0),
                        body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", needs, chat.choices(),
                        logprobs, chat.hasTools(), json, chat.hasImages(), task, user, metadata, lastUser);
            }
            case CompletionRequest completion -> {
                String prompt = body.path("prompt").isTextual() ? body.get("prompt").asText() : body.path("prompt").toString();
                yield new RequestFacts(prompt.length() / CHARS_PER_TOKEN + 1, completion.maxTokens().orElse(0), "max_tokens",
                        needs, completion.choices(), body.path("logprobs").asInt(0) > 0, false, false, false, task, user,
                        metadata, prompt);
            }
            case EmbeddingRequest embedding -> {
                String input = String.join(" ", embedding.texts());
                yield new RequestFacts(input.length() / CHARS_PER_TOKEN + 1, 0, "max_tokens", needs, 1, false, false, false,
                        false, task, user, metadata, input);
            }
            case ResponsesRequest responses -> {
                String input = body.path("input").isTextual() ? body.get("input").asText() : body.path("input").toString();
                yield new RequestFacts(input.length() / CHARS_PER_TOKEN + 1, responses.maxOutputTokens().orElse(0),
                        "max_output_tokens", needs, 1, false, body.path("tools").size() > 0, false, false, task, user,
                        metadata, input);
            }
        };
    }

    /**
     * What {@link Fit} needs of a request to a model named directly, read without going through its
     * messages: no size estimate, no text, no metadata.
     */
    public static RequestFacts forFit(MeshRequest request) {
        Set<Capability> needs = EnumSet.of(Capability.of(request.operation()));
        ObjectNode body = request.body();
        return switch (request) {
            case ChatRequest chat -> {
                boolean json = needs(chat, needs);
                boolean logprobs = body.path("logprobs").asBoolean(false) || body.path("top_logprobs").asInt(0) > 0;
                yield new RequestFacts(0, chat.maxTokens().orElse(0),
                        body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", needs, chat.choices(),
                        logprobs, chat.hasTools(), json, chat.hasImages(), null, null, Map.of(), null);
            }
            case CompletionRequest completion -> new RequestFacts(0, completion.maxTokens().orElse(0), "max_tokens", needs,
                    completion.choices(), body.path("logprobs").asInt(0) > 0, false, false, false, null, null, Map.of(), null);
            case EmbeddingRequest ignored -> new RequestFacts(0, 0, "max_tokens", needs, 1, false, false, false, false, null,
                    null, Map.of(), null);
            case ResponsesRequest responses -> new RequestFacts(0, responses.maxOutputTokens().orElse(0), "max_output_tokens",
                    needs, 1, false, body.path("tools").size() > 0, false, false, null, null, Map.of(), null);
        };
    }

    /** The facts of a transcription: it needs the capability {@code transcription}, and may carry a task. */
    public static RequestFacts audio(String task) {
        return new RequestFacts(0, 0, "max_tokens", EnumSet.of(Capability.TRANSCRIPTION), 1, false, false, false, false,
                task, null, Map.of(), null);
    }

    /** The capability of the operation itself (the first of {@link #needs}). */
    Capability operationNeed() {
        return needs.iterator().next();
    }

    /** The API path of the operation, for messages. */
    String path() {
        return switch (operationNeed()) {
            case CHAT -> "/v1/chat/completions";
            case COMPLETIONS -> "/v1/completions";
            case EMBEDDINGS -> "/v1/embeddings";
            case TRANSCRIPTION -> "/v1/audio/transcriptions";
            default -> "that operation";
        };
    }

    /** Adds what a chat needs beyond chat itself; returns whether it asks for JSON. */
    private static boolean needs(ChatRequest chat, Set<Capability> needs) {
        boolean json = !chat.responseFormat().equals("text");
        if (json) {
            needs.add(Capability.JSON);
        }
        if (chat.hasTools()) {
            needs.add(Capability.TOOLS);
        }
        if (chat.hasImages()) {
            needs.add(Capability.VISION);
        }
        return json;
    }

    private static String text(JsonNode content) {
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            if (part.path("text").isTextual()) {
                text.append(part.get("text").asText()).append(' ');
            }
        }
        return text.toString().strip();
    }
}
