package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.core.dispatch.ClientStream;
import io.micromesh.core.dispatch.Served;
import java.util.ArrayList;
import java.util.List;

/**
 * A streamed chat answer told as the Responses API's events: {@code response.created},
 * {@code response.in_progress}, then for the text {@code response.output_item.added},
 * {@code response.content_part.added}, {@code response.output_text.delta}... and for each tool call
 * {@code response.output_item.added} and {@code response.function_call_arguments.delta}..., each
 * item closed by its {@code .done} events, and {@code response.completed} with the whole response.
 * Every event carries its {@code sequence_number}. Used by one request's thread only.
 */
final class ResponsesStream implements ClientStream {

    private final SseStream sse;
    private final ObjectNode response;
    private final String id;
    private int sequence;
    private boolean created;
    private StringBuilder text;
    private int textIndex = -1;
    private final List<Call> calls = new ArrayList<>();
    private int nextIndex;
    private JsonNode usage = Json.object();
    private String finish = "stop";
    private String model;

    /** A tool call being streamed: its output index, ids, name and arguments so far. */
    private static final class Call {
        final int index;
        final String itemId;
        String callId;
        String name;
        final StringBuilder arguments = new StringBuilder();

        Call(int index, String itemId) {
            this.index = index;
            this.itemId = itemId;
        }
    }

    ResponsesStream(SseStream sse, ObjectNode skeleton) {
        this.sse = sse;
        this.response = skeleton;
        this.id = skeleton.path("id").asText();
    }

    @Override
    public void attempt(Served served) {
        sse.attempt(served);
    }

    @Override
    public void send(ObjectNode chunk) {
        if (!created) {
            created = true;
            emit("response.created", Json.object().set("response", response.deepCopy()));
            emit("response.in_progress", Json.object().set("response", response.deepCopy()));
        }
        if (chunk.path("model").isTextual()) {
            model = chunk.path("model").asText();
        }
        if (chunk.path("usage").isObject()) {
            usage = chunk.path("usage");
        }
        JsonNode choice = chunk.path("choices").path(0);
        if (choice.path("finish_reason").isTextual()) {
            finish = choice.path("finish_reason").asText();
        }
        JsonNode delta = choice.path("delta");
        if (delta.path("content").isTextual() && !delta.path("content").asText().isEmpty()) {
            if (text == null) {
                text = new StringBuilder();
                textIndex = nextIndex++;
                emit("response.output_item.added", Json.object().put("output_index", textIndex)
                        .set("item", Json.object().put("type", "message").put("id", messageId()).put("status", "in_progress")
                                .put("role", "assistant").set("content", Json.mapper().createArrayNode())));
                ObjectNode part = Json.object().put("type", "output_text").put("text", "");
                part.putArray("annotations");
                emit("response.content_part.added", Json.object().put("item_id", messageId()).put("output_index", textIndex)
                        .put("content_index", 0).set("part", part));
            }
            String piece = delta.path("content").asText();
            text.append(piece);
            emit("response.output_text.delta", Json.object().put("item_id", messageId()).put("output_index", textIndex)
                    .put("content_index", 0).put("delta", piece));
        }
        for (JsonNode toolCall : delta.path("tool_calls")) {
            int at = toolCall.path("index").asInt(calls.size());
            while (calls.size() <= at) {
                calls.add(null);
            }
            Call call = calls.get(at);
            if (call == null) {
                call = new Call(nextIndex++, "fc_" + id.substring(5) + "_" + at);
                call.callId = toolCall.path("id").asText("call_" + at);
                call.name = toolCall.path("function").path("name").asText("");
                calls.set(at, call);
                emit("response.output_item.added", Json.object().put("output_index", call.index)
                        .set("item", ResponsesShapes.functionCallItem(call.itemId, call.callId, call.name, "", "in_progress")));
            }
            String piece = toolCall.path("function").path("arguments").asText("");
            if (!piece.isEmpty()) {
                call.arguments.append(piece);
                emit("response.function_call_arguments.delta", Json.object().put("item_id", call.itemId)
                        .put("output_index", call.index).put("delta", piece));
            }
        }
    }

    private String messageId() {
        return "msg_" + id.substring(5);
    }

    /**
     * Closes the open items and sends {@code response.completed}.
     *
     * @return the whole response, as stored
     */
    ObjectNode complete() {
        if (!created) {
            send(Json.object());
        }
        ObjectNode[] output = new ObjectNode[nextIndex];
        if (text != null) {
            emit("response.output_text.done", Json.object().put("item_id", messageId()).put("output_index", textIndex)
                    .put("content_index", 0).put("text", text.toString()));
            ObjectNode part = Json.object().put("type", "output_text").put("text", text.toString());
            part.putArray("annotations");
            emit("response.content_part.done", Json.object().put("item_id", messageId()).put("output_index", textIndex)
                    .put("content_index", 0).set("part", part));
            output[textIndex] = ResponsesShapes.messageItem(messageId(), text.toString(), "completed");
            emit("response.output_item.done", Json.object().put("output_index", textIndex).set("item", output[textIndex]));
        }
        for (Call call : calls) {
            if (call == null) {
                continue;
            }
            emit("response.function_call_arguments.done", Json.object().put("item_id", call.itemId).put("output_index", call.index)
                    .put("arguments", call.arguments.toString()));
            output[call.index] = ResponsesShapes.functionCallItem(call.itemId, call.callId, call.name, call.arguments.toString(),
                    "completed");
            emit("response.output_item.done", Json.object().put("output_index", call.index).set("item", output[call.index]));
        }
        ArrayNode items = response.putArray("output");
        for (ObjectNode item : output) {
            if (item != null) {
                items.add(item);
            }
        }
        boolean cut = finish.equals("length");
        response.put("status", cut ? "incomplete" : "completed");
        if (cut) {
            response.putObject("incomplete_details").put("reason", "max_output_tokens");
        }
        if (model != null) {
            response.put("model", model);
        }
        response.set("usage", ResponsesShapes.usage(usage));
        emit(cut ? "response.incomplete" : "response.completed", Json.object().set("response", response));
        sse.end();
        return response;
    }

    /** Ends a stream that broke after it started, with an {@code error} event. */
    void fail(io.micromesh.api.ApiException e) {
        emit("error", Json.object().put("code", e.error().code()).put("message", e.getMessage()).putNull("param"));
        sse.end();
    }

    boolean started() {
        return sse.started();
    }

    private void emit(String type, ObjectNode data) {
        ObjectNode event = Json.object().put("type", type).put("sequence_number", sequence++);
        event.setAll(data);
        sse.sendEvent(type, event);
    }
}
