package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;

/** Writing JSON answers and OpenAI-shaped errors. */
final class Responses {

    static final HeaderName REQUEST_ID = HeaderNames.create("x-request-id");
    static final HeaderName MESH_MODEL = HeaderNames.create("x-mesh-model");
    static final HeaderName ENERGY_METHOD = HeaderNames.create("x-mesh-energy-method");
    static final HeaderName MESH_ROUTE = HeaderNames.create("x-mesh-route");
    static final HeaderName MESH_CASCADE = HeaderNames.create("x-mesh-cascade");
    static final HeaderName MESH_TASK = HeaderNames.create("x-mesh-task");
    static final String JSON = "application/json";

    private Responses() {
    }

    static void json(ServerResponse res, int status, JsonNode body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, JSON);
        res.send(Json.bytes(body));
    }

    static void error(ServerResponse res, ApiException e) {
        if (res.isSent()) {
            return;
        }
        e.headers().forEach(res::header);
        json(res, e.status(), e.error().toJson());
    }
}
