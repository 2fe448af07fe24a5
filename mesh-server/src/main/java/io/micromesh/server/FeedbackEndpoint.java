package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiError;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.core.outcomes.OutcomeStore;
import io.micromesh.core.routing.Learning;

/**
 * {@code POST /v1/feedback}: a client's judgement of an answer, {@code {"id": "chatcmpl-...",
 * "score": 0.0-1.0}}, for a chat completion served by a route that learns ({@code cost-quality} or
 * one that verifies). It is stored as an outcome of the model that answered and changes the
 * router's next decisions; feedback on the same id again replaces the earlier score.
 */
final class FeedbackEndpoint {

    private final Learning learning;
    private final RequestBodies bodies;

    FeedbackEndpoint(Learning learning, RequestBodies bodies) {
        this.learning = learning;
        this.bodies = bodies;
    }

    void handle(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.parseObject(bodies.read(req));
        JsonNode id = body.get("id");
        if (id == null || !id.isTextual() || id.asText().isBlank()) {
            throw ApiException.invalidRequest("id", "'id' is required: the id of a chat completion response");
        }
        JsonNode score = body.get("score");
        if (score == null || !score.isNumber() || !(score.asDouble() >= 0 && score.asDouble() <= 1)) {
            throw ApiException.invalidRequest("score", "'score' is required: a number from 0 (a bad answer) to 1 (a good one)");
        }
        body.fieldNames().forEachRemaining(name -> {
            if (!name.equals("id") && !name.equals("score")) {
                throw ApiException.invalidRequest(name, "unknown parameter '" + name + "'; feedback takes 'id' and 'score'");
            }
        });
        OutcomeStore.Completion completion = learning.completion(id.asText()).orElseThrow(() -> new ApiException(404,
                new ApiError("No completion '" + id.asText() + "' is known for feedback: only chat completions served by a"
                        + " route that learns (cost-quality, or one that verifies) are remembered.",
                        "invalid_request_error", "id", "completion_not_found")));
        learning.feedback(completion, score.asDouble());
        ObjectNode answer = Json.object().put("object", "feedback").put("id", completion.id())
                .put("route", completion.route()).put("model", completion.model()).put("score", score.asDouble());
        Responses.json(res, 200, answer);
    }
}
