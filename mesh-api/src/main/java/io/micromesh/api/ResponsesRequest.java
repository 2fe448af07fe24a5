package io.micromesh.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.OptionalLong;

/**
 * A {@code POST /v1/responses} request passed through as it is to a backend that serves OpenAI's
 * Responses API itself (a model configured with {@code responses-api: passthrough}). Other models
 * get the same request translated to a chat completion, so this type is only for pass-through; the
 * body is validated as that translation validates it before this is made.
 *
 * @param model           the model asked for
 * @param stream          {@code stream}
 * @param maxOutputTokens {@code max_output_tokens} when given
 * @param body            the body as received
 */
public record ResponsesRequest(String model, boolean stream, OptionalLong maxOutputTokens, ObjectNode body)
        implements MeshRequest {

    @Override
    public Operation operation() {
        return Operation.RESPONSES;
    }

    /** A Responses body, already validated. */
    public static ResponsesRequest of(ObjectNode body) {
        return new ResponsesRequest(body.path("model").asText(), body.path("stream").asBoolean(false),
                body.path("max_output_tokens").canConvertToLong() ? OptionalLong.of(body.path("max_output_tokens").asLong())
                        : OptionalLong.empty(), body);
    }
}
