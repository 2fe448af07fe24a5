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
import io.micromesh.core.spi.BackendHealth;

/**
 * {@code GET /v1/models} and {@code GET /v1/models/{id}} in OpenAI's shape, plus an additive
 * {@code mesh} object per model (engine, capabilities, context, health) that strict clients ignore.
 */
final class ModelsEndpoint {

    private final Portfolio portfolio;
    private final long created;

    ModelsEndpoint(Portfolio portfolio, long createdEpochSeconds) {
        this.portfolio = portfolio;
        this.created = createdEpochSeconds;
    }

    void list(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object().put("object", "list");
        ArrayNode data = body.putArray("data");
        portfolio.models().forEach(model -> data.add(describe(model)));
        Responses.json(res, 200, body);
    }

    void get(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        ServedModel model = portfolio.model(id).orElseThrow(() -> ApiException.modelNotFound(id));
        Responses.json(res, 200, describe(model));
    }

    private ObjectNode describe(ServedModel model) {
        ObjectNode node = Json.object();
        node.put("id", model.id());
        node.put("object", "model");
        node.put("created", created);
        node.put("owned_by", "micromesh");
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
}
