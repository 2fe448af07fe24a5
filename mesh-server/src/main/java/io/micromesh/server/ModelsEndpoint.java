package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.config.Capability;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.routing.Router;
import io.micromesh.core.spi.BackendHealth;
import java.util.Optional;

/**
 * {@code GET /v1/models} and {@code GET /v1/models/{id}} in OpenAI's shape, plus an additive
 * {@code mesh} object per model (engine, capabilities, context, health) that strict clients ignore.
 * Routes are listed too, as models whose {@code mesh.route} is true, with their policy and candidates.
 */
final class ModelsEndpoint {

    private final Portfolio portfolio;
    private final Router router;
    private final long created;

    ModelsEndpoint(Portfolio portfolio, Router router, long createdEpochSeconds) {
        this.portfolio = portfolio;
        this.router = router;
        this.created = createdEpochSeconds;
    }

    void list(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object().put("object", "list");
        ArrayNode data = body.putArray("data");
        portfolio.models().forEach(model -> data.add(describe(model)));
        router.routes().forEach(route -> data.add(describe(route)));
        Responses.reply(req, res, 200, body);
    }

    void get(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        Optional<ServedModel> model = portfolio.model(id);
        if (model.isPresent()) {
            Responses.reply(req, res, 200, describe(model.get()));
            return;
        }
        RouteSpec route = router.routes().stream().filter(r -> r.name().equals(id)).findFirst()
                .orElseThrow(() -> ApiException.modelNotFound(id));
        Responses.reply(req, res, 200, describe(route));
    }

    /** A route, listed like a model so that clients can pick it, with {@code mesh.route} describing it. */
    private ObjectNode describe(RouteSpec route) {
        ObjectNode node = entry(route.name());
        ObjectNode mesh = node.putObject("mesh");
        mesh.put("route", true).put("policy", route.policy().key());
        ArrayNode candidates = mesh.putArray("candidates");
        route.candidates().forEach(candidates::add);
        return node;
    }

    private ObjectNode describe(ServedModel model) {
        ObjectNode node = entry(model.id());
        ObjectNode mesh = node.putObject("mesh");
        mesh.put("engine", model.spec().engine().key());
        ArrayNode capabilities = mesh.putArray("capabilities");
        model.spec().capabilities().stream().map(Capability::key).sorted().forEach(capabilities::add);
        model.spec().contextWindow().ifPresent(c -> mesh.put("context", c));
        BackendHealth health = model.backend().health();
        mesh.put("status", health.state().name().toLowerCase());
        mesh.put("status_detail", health.detail());
        return node;
    }

    /** OpenAI's model object. */
    private ObjectNode entry(String id) {
        return Json.object().put("id", id).put("object", "model").put("created", created).put("owned_by", "micromesh");
    }
}
