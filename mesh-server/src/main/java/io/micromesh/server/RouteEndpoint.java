package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.Json;
import io.micromesh.core.dispatch.Dispatcher;
import io.micromesh.core.routing.Decision;
import java.util.Optional;

/**
 * {@code POST /v1/route}: a dry run of the router. It takes a chat completion body and answers the
 * decision (route, policy, chosen model, reason), a semantic route's threshold and where it comes
 * from, and every candidate's score or exclusion, without calling any model. A body naming a model rather than a route is answered as a direct choice.
 */
final class RouteEndpoint {

    private final Dispatcher dispatcher;
    private final RequestBodies bodies;

    RouteEndpoint(Dispatcher dispatcher, RequestBodies bodies) {
        this.dispatcher = dispatcher;
        this.bodies = bodies;
    }

    void handle(ServerRequest req, ServerResponse res) {
        ChatRequest request = ChatRequest.parse(Json.parseObject(bodies.read(req)));
        ObjectNode answer = Json.object();
        Optional<Decision> routed = dispatcher.explain(request, Callers.task(req));
        if (routed.isEmpty()) {
            answer.putNull("route").put("policy", "direct").put("model", request.model())
                    .put("reason", "the request names a model, not a route");
            answer.putArray("candidates").addObject().put("model", request.model());
            Responses.json(res, 200, answer);
            return;
        }
        Decision decision = routed.get();
        answer.put("route", decision.route()).put("policy", decision.policy().key()).put("model", decision.model().id())
                .put("reason", decision.reason());
        if (decision.task() != null) {
            answer.put("task", decision.task());
        }
        dispatcher.router().threshold(decision.route()).ifPresent(t -> answer.putObject("threshold").put("value", t.value())
                .put("source", t.source()).put("detail", t.detail()));
        ArrayNode order = answer.putArray("order");
        decision.order().forEach(m -> order.add(m.id()));
        ArrayNode candidates = answer.putArray("candidates");
        for (Decision.Candidate candidate : decision.candidates()) {
            ObjectNode entry = candidates.addObject().put("model", candidate.model());
            if (candidate.score() != null) {
                entry.put("score", candidate.score());
            }
            if (candidate.excluded() != null) {
                entry.put("excluded", candidate.excluded());
            }
        }
        Responses.json(res, 200, answer);
    }
}
