package io.micromesh.core.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Turns a streamed chat answer into the whole answer it spells, and a whole answer back into a
 * stream, so that one stored answer serves both kinds of request: a stream's chunks are assembled
 * (content pieces joined, tool calls' arguments joined by index) into a {@code chat.completion}; a
 * stored completion is replayed as a role-and-content chunk per choice, a chunk with each choice's
 * finish reason, and the usage chunk when the client asked for it.
 */
public final class ChatChunks {

    private ChatChunks() {
    }

    /** The whole answer that a stream's chunks spell. */
    public static ObjectNode assemble(List<ObjectNode> chunks) {
        ObjectNode whole = Json.object();
        TreeMap<Integer, ObjectNode> messages = new TreeMap<>();
        TreeMap<Integer, String> finishes = new TreeMap<>();
        TreeMap<Integer, StringBuilder> contents = new TreeMap<>();
        TreeMap<Integer, TreeMap<Integer, ObjectNode>> calls = new TreeMap<>();
        for (ObjectNode chunk : chunks) {
            for (String field : List.of("id", "created", "model", "system_fingerprint")) {
                if (chunk.hasNonNull(field) && !whole.has(field)) {
                    whole.set(field, chunk.get(field));
                }
            }
            if (chunk.get("usage") instanceof ObjectNode usage) {
                whole.set("usage", usage.deepCopy());
            }
            for (JsonNode choice : chunk.path("choices")) {
                int index = choice.path("index").asInt();
                JsonNode delta = choice.path("delta");
                messages.computeIfAbsent(index, i -> Json.object().put("role", "assistant"));
                if (delta.path("content").isTextual()) {
                    contents.computeIfAbsent(index, i -> new StringBuilder()).append(delta.get("content").asText());
                }
                for (JsonNode call : delta.path("tool_calls")) {
                    ObjectNode built = calls.computeIfAbsent(index, i -> new TreeMap<>())
                            .computeIfAbsent(call.path("index").asInt(), i -> {
                                ObjectNode c = Json.object();
                                c.putObject("function").put("name", "").put("arguments", "");
                                return c;
                            });
                    if (call.hasNonNull("id")) {
                        built.put("id", call.get("id").asText()).put("type", "function");
                    }
                    JsonNode function = call.path("function");
                    ObjectNode target = (ObjectNode) built.get("function");
                    if (function.path("name").isTextual()) {
                        target.put("name", target.get("name").asText() + function.get("name").asText());
                    }
                    if (function.path("arguments").isTextual()) {
                        target.put("arguments", target.get("arguments").asText() + function.get("arguments").asText());
                    }
                }
                if (choice.hasNonNull("finish_reason")) {
                    finishes.put(index, choice.get("finish_reason").asText());
                }
            }
        }
        whole.put("object", "chat.completion");
        ArrayNode choices = whole.putArray("choices");
        for (var entry : messages.entrySet()) {
            int index = entry.getKey();
            ObjectNode message = entry.getValue();
            if (calls.containsKey(index)) {
                message.putNull("content");
                ArrayNode list = message.putArray("tool_calls");
                calls.get(index).values().forEach(list::add);
            } else {
                message.put("content", contents.getOrDefault(index, new StringBuilder()).toString());
            }
            ObjectNode choice = choices.addObject().put("index", index);
            choice.set("message", message);
            choice.putNull("logprobs");
            choice.put("finish_reason", finishes.getOrDefault(index, "stop"));
        }
        return whole;
    }

    /**
     * A whole answer as stream chunks.
     *
     * @param withUsage whether the client asked for the usage chunk ({@code stream_options.include_usage})
     */
    public static List<ObjectNode> replay(ObjectNode whole, boolean withUsage) {
        List<ObjectNode> chunks = new ArrayList<>();
        ObjectNode first = envelope(whole);
        ObjectNode last = envelope(whole);
        for (JsonNode choice : whole.path("choices")) {
            JsonNode message = choice.path("message");
            ObjectNode delta = first.withArray("choices").addObject().put("index", choice.path("index").asInt())
                    .putObject("delta").put("role", "assistant");
            if (message.path("tool_calls").isArray() && !message.path("tool_calls").isEmpty()) {
                delta.putNull("content");
                ArrayNode calls = delta.putArray("tool_calls");
                int i = 0;
                for (JsonNode call : message.path("tool_calls")) {
                    ObjectNode copy = ((ObjectNode) call).deepCopy();
                    calls.add(Json.object().put("index", i++).setAll(copy));
                }
            } else {
                delta.put("content", message.path("content").asText(""));
            }
            ((ObjectNode) first.withArray("choices").get(first.withArray("choices").size() - 1)).putNull("logprobs")
                    .putNull("finish_reason");
            ObjectNode ending = last.withArray("choices").addObject().put("index", choice.path("index").asInt());
            ending.putObject("delta");
            ending.putNull("logprobs");
            ending.put("finish_reason", choice.path("finish_reason").asText("stop"));
        }
        chunks.add(first);
        chunks.add(last);
        if (withUsage && whole.get("usage") instanceof ObjectNode usage) {
            ObjectNode counted = envelope(whole);
            counted.putArray("choices");
            counted.set("usage", usage.deepCopy());
            chunks.add(counted);
        }
        return chunks;
    }

    private static ObjectNode envelope(ObjectNode whole) {
        ObjectNode chunk = Json.object();
        chunk.set("id", whole.path("id"));
        chunk.put("object", "chat.completion.chunk");
        chunk.set("created", whole.path("created"));
        chunk.set("model", whole.path("model"));
        return chunk;
    }
}
