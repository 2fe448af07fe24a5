package io.micromesh.api;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An error body in OpenAI's shape: {@code {"error":{"message","type","param","code"}}}.
 *
 * @param message what went wrong and, where possible, what to do
 * @param type    OpenAI's error family, e.g. {@code invalid_request_error}
 * @param param   the request parameter at fault, or {@code null}
 * @param code    a short machine-readable code, or {@code null}
 */
public record ApiError(String message, String type, String param, String code) {

    public ApiError {
        if (message == null || message.isBlank()) {
            throw new IllegalArgumentException("an error needs a message");
        }
        if (type == null || type.isBlank()) {
            throw new IllegalArgumentException("an error needs a type");
        }
    }

    /** The JSON body: all four fields always present, {@code null} where unknown, as OpenAI sends them. */
    public ObjectNode toJson() {
        ObjectNode root = Json.object();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }
}
