package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;

/**
 * OpenAI's Responses API in terms of chat completions: a {@code /v1/responses} request becomes the
 * chat request any chat-capable model or route serves, and the chat answer becomes a response object.
 * Input items map to messages ({@code message} → its role's message, {@code function_call} → an
 * assistant message with a tool call, {@code function_call_output} → a {@code tool} message),
 * {@code instructions} to a system message, function {@code tools} and {@code tool_choice} to chat's,
 * {@code text.format} to {@code response_format}, {@code max_output_tokens} to {@code max_tokens}.
 */
final class ResponsesShapes {

    private ResponsesShapes() {
    }

    /**
     * The chat completion request of a Responses request.
     *
     * @param history the stored conversation this one continues ({@code previous_response_id}): input
     *                and output items, or null
     * @throws ApiException 400 naming the field that cannot be translated
     */
    static ObjectNode chatRequest(ObjectNode body, ArrayNode history) {
        if (!body.path("model").isTextual() || body.path("model").asText().isBlank()) {
            throw ApiException.invalidRequest("model", "'model' is required: a model or route of this gateway.");
        }
        ObjectNode chat = Json.object().put("model", body.path("model").asText());
        ArrayNode messages = chat.putArray("messages");
        if (body.path("instructions").isTextual()) {
            messages.addObject().put("role", "system").put("content", body.path("instructions").asText());
        }
        if (history != null) {
            for (JsonNode item : history) {
                message(item, messages);
            }
        }
        JsonNode input = body.get("input");
        if (input == null || input.isNull()) {
            throw ApiException.invalidRequest("input", "'input' is required: a string or a list of input items.");
        }
        if (input.isTextual()) {
            messages.addObject().put("role", "user").put("content", input.asText());
        } else if (input.isArray()) {
            for (JsonNode item : input) {
                message(item, messages);
            }
        } else {
            throw ApiException.invalidRequest("input", "'input' must be a string or a list of input items.");
        }
        if (body.path("tools").isArray() && !body.path("tools").isEmpty()) {
            ArrayNode tools = chat.putArray("tools");
            for (JsonNode tool : body.path("tools")) {
                if (!tool.path("type").asText().equals("function")) {
                    throw ApiException.invalidRequest("tools", "tool type '" + tool.path("type").asText() + "' is not served"
                            + " here; function tools are.");
                }
                ObjectNode function = tools.addObject().put("type", "function").putObject("function")
                        .put("name", tool.path("name").asText());
                copy(tool, function, "description");
                copy(tool, function, "parameters");
                copy(tool, function, "strict");
            }
        }
        JsonNode choice = body.get("tool_choice");
        if (choice != null && !choice.isNull()) {
            if (choice.isTextual()) {
                chat.put("tool_choice", choice.asText());
            } else if (choice.path("type").asText().equals("function")) {
                chat.putObject("tool_choice").put("type", "function").putObject("function").put("name", choice.path("name").asText());
            } else {
                throw ApiException.invalidRequest("tool_choice", "'tool_choice' must be auto, none, required or a function.");
            }
        }
        JsonNode format = body.path("text").path("format");
        if (format.isObject()) {
            switch (format.path("type").asText()) {
                case "json_schema" -> {
                    ObjectNode schema = chat.putObject("response_format").put("type", "json_schema").putObject("json_schema");
                    schema.put("name", format.path("name").asText("output"));
                    copy(format, schema, "schema");
                    copy(format, schema, "strict");
                    copy(format, schema, "description");
                }
                case "json_object" -> chat.putObject("response_format").put("type", "json_object");
                case "text", "" -> {
                }
                default -> throw ApiException.invalidRequest("text.format", "text.format type '" + format.path("type").asText()
                        + "' is not served; text, json_object or json_schema.");
            }
        }
        if (body.path("max_output_tokens").isNumber()) {
            chat.put("max_tokens", body.path("max_output_tokens").asInt());
        }
        copy(body, chat, "temperature");
        copy(body, chat, "top_p");
        copy(body, chat, "parallel_tool_calls");
        if (body.path("stream").asBoolean(false)) {
            chat.put("stream", true);
            chat.putObject("stream_options").put("include_usage", true);
        }
        return chat;
    }

    /** One input item as a chat message. */
    private static void message(JsonNode item, ArrayNode messages) {
        String type = item.path("type").asText("message");
        switch (type) {
            case "message" -> {
                String role = item.path("role").asText("user");
                ObjectNode message = messages.addObject().put("role", role);
                JsonNode content = item.get("content");
                if (content == null || content.isTextual()) {
                    message.put("content", content == null ? "" : content.asText());
                    return;
                }
                if (role.equals("assistant")) {  // an earlier answer: its text, as chat holds it
                    StringBuilder text = new StringBuilder();
                    content.forEach(part -> text.append(part.path("text").asText("")));
                    message.put("content", text.toString());
                    return;
                }
                ArrayNode parts = message.putArray("content");
                for (JsonNode part : content) {
                    switch (part.path("type").asText()) {
                        case "input_text", "output_text", "text" -> parts.addObject().put("type", "text")
                                .put("text", part.path("text").asText());
                        case "input_image" -> parts.addObject().put("type", "image_url").putObject("image_url")
                                .put("url", part.path("image_url").asText());
                        default -> throw ApiException.invalidRequest("input", "content part type '" + part.path("type").asText()
                                + "' is not served; input_text and input_image are.");
                    }
                }
            }
            case "function_call" -> {
                ObjectNode call = messages.addObject().put("role", "assistant").putNull("content").putArray("tool_calls")
                        .addObject().put("id", item.path("call_id").asText()).put("type", "function");
                call.putObject("function").put("name", item.path("name").asText()).put("arguments", item.path("arguments").asText());
            }
            case "function_call_output" -> messages.addObject().put("role", "tool").put("tool_call_id", item.path("call_id").asText())
                    .put("content", item.path("output").isTextual() ? item.path("output").asText() : Json.string(item.path("output")));
            default -> throw ApiException.invalidRequest("input", "input item type '" + type + "' is not served; message,"
                    + " function_call and function_call_output are.");
        }
    }

    /**
     * The response object of a chat answer.
     *
     * @param id       the response's id ({@code resp_...})
     * @param request  the Responses request, whose settings the response echoes
     */
    static ObjectNode response(String id, ObjectNode request, JsonNode chat, long createdAt) {
        ObjectNode r = skeleton(id, request, createdAt);
        JsonNode choice = chat.path("choices").path(0);
        JsonNode message = choice.path("message");
        ArrayNode output = r.putArray("output");
        String text = message.path("content").isTextual() ? message.path("content").asText() : "";
        if (!text.isEmpty() || !message.path("tool_calls").isArray() || message.path("tool_calls").isEmpty()) {
            output.add(messageItem("msg_" + id.substring(5), text, "completed"));
        }
        int n = 0;
        for (JsonNode call : message.path("tool_calls")) {
            output.add(functionCallItem("fc_" + id.substring(5) + "_" + n++, call.path("id").asText(),
                    call.path("function").path("name").asText(), call.path("function").path("arguments").asText(), "completed"));
        }
        boolean cut = choice.path("finish_reason").asText().equals("length");
        r.put("status", cut ? "incomplete" : "completed");
        if (cut) {
            r.putObject("incomplete_details").put("reason", "max_output_tokens");
        }
        r.set("usage", usage(chat.path("usage")));
        r.put("model", chat.path("model").asText(request.path("model").asText()));
        return r;
    }

    /** The fields of a response that do not depend on its answer. */
    static ObjectNode skeleton(String id, ObjectNode request, long createdAt) {
        ObjectNode r = Json.object().put("id", id).put("object", "response").put("created_at", createdAt)
                .put("status", "in_progress").putNull("error").putNull("incomplete_details");
        r.set("instructions", request.path("instructions").isTextual() ? request.get("instructions") : null);
        r.put("model", request.path("model").asText());
        r.putArray("output");
        r.put("parallel_tool_calls", request.path("parallel_tool_calls").asBoolean(true));
        r.set("tool_choice", request.has("tool_choice") ? request.get("tool_choice") : Json.mapper().getNodeFactory().textNode("auto"));
        r.set("tools", request.path("tools").isArray() ? request.get("tools") : Json.mapper().createArrayNode());
        r.set("temperature", request.has("temperature") ? request.get("temperature") : Json.mapper().getNodeFactory().numberNode(1.0));
        r.set("top_p", request.has("top_p") ? request.get("top_p") : Json.mapper().getNodeFactory().numberNode(1.0));
        if (request.has("max_output_tokens")) {
            r.set("max_output_tokens", request.get("max_output_tokens"));
        } else {
            r.putNull("max_output_tokens");
        }
        if (request.path("previous_response_id").isTextual()) {
            r.set("previous_response_id", request.get("previous_response_id"));
        } else {
            r.putNull("previous_response_id");
        }
        ObjectNode text = r.putObject("text");
        if (request.path("text").path("format").isObject()) {
            text.set("format", request.path("text").path("format"));
        } else {
            text.putObject("format").put("type", "text");
        }
        r.set("metadata", request.path("metadata").isObject() ? request.get("metadata") : Json.object());
        r.put("store", request.path("store").asBoolean(true));
        return r;
    }

    static ObjectNode messageItem(String id, String text, String status) {
        ObjectNode item = Json.object().put("type", "message").put("id", id).put("status", status).put("role", "assistant");
        ObjectNode part = item.putArray("content").addObject().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        return item;
    }

    static ObjectNode functionCallItem(String id, String callId, String name, String arguments, String status) {
        return Json.object().put("type", "function_call").put("id", id).put("call_id", callId).put("name", name)
                .put("arguments", arguments).put("status", status);
    }

    /** Chat usage as the Responses API names it, with micromesh's cost and energy. */
    static ObjectNode usage(JsonNode chat) {
        long in = chat.path("prompt_tokens").asLong();
        long out = chat.path("completion_tokens").asLong();
        ObjectNode u = Json.object().put("input_tokens", in).put("output_tokens", out).put("total_tokens", in + out);
        u.putObject("input_tokens_details").put("cached_tokens", chat.path("prompt_tokens_details").path("cached_tokens").asLong());
        u.putObject("output_tokens_details").put("reasoning_tokens", 0);
        if (chat.has("cost_usd")) {
            u.set("cost_usd", chat.get("cost_usd"));
        }
        if (chat.has("energy_wh")) {
            u.set("energy_wh", chat.get("energy_wh"));
        }
        return u;
    }

    /** The conversation a stored response holds: its input as items, then its output items. */
    static ArrayNode conversation(ArrayNode history, ObjectNode request, ObjectNode response) {
        ArrayNode all = Json.mapper().createArrayNode();
        if (history != null) {
            all.addAll(history);
        }
        JsonNode input = request.get("input");
        if (input.isTextual()) {
            all.addObject().put("type", "message").put("role", "user").put("content", input.asText());
        } else {
            all.addAll((ArrayNode) input);
        }
        for (JsonNode item : response.path("output")) {
            if (item.path("type").asText().equals("message")) {
                StringBuilder text = new StringBuilder();
                item.path("content").forEach(p -> text.append(p.path("text").asText("")));
                all.addObject().put("type", "message").put("role", "assistant").put("content", text.toString());
            } else {
                all.add(item);
            }
        }
        return all;
    }

    private static void copy(JsonNode from, ObjectNode to, String field) {
        if (from.has(field) && !from.get(field).isNull()) {
            to.set(field, from.get(field));
        }
    }
}
