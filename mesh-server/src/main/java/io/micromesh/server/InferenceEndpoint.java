package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiException;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.CompletionRequest;
import io.micromesh.api.EmbeddingRequest;
import io.micromesh.api.Json;
import io.micromesh.api.MeshRequest;
import io.micromesh.api.Operation;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.spi.BackendException;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ClientGoneException;
import io.micromesh.core.spi.Usage;

/**
 * {@code POST /v1/chat/completions}, {@code /v1/completions} and {@code /v1/embeddings}: one flow
 * for all three — read and validate the body, find the model, check that it fits, call its backend
 * (whole or streamed), then charge the tokens and answer with {@code usage.cost_usd},
 * {@code usage.energy_wh} and the {@code x-mesh-*} headers.
 */
final class InferenceEndpoint {

    private final Portfolio portfolio;
    private final RequestBodies bodies;
    private final GatewayMetrics metrics;

    InferenceEndpoint(Portfolio portfolio, RequestBodies bodies, GatewayMetrics metrics) {
        this.portfolio = portfolio;
        this.bodies = bodies;
        this.metrics = metrics;
    }

    void handle(Operation operation, ServerRequest req, ServerResponse res) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        exchange.markInference();
        ObjectNode body = Json.parseObject(bodies.read(req));
        MeshRequest request = switch (operation) {
            case CHAT_COMPLETIONS -> ChatRequest.parse(body);
            case COMPLETIONS -> CompletionRequest.parse(body);
            case EMBEDDINGS -> EmbeddingRequest.parse(body);
        };
        ServedModel model = portfolio.model(request.model())
                .orElseThrow(() -> ApiException.modelNotFound(request.model()));
        exchange.model(model.id());
        ModelFit.check(model.spec(), request);
        if (request.stream()) {
            streamed(model, request, res, exchange);
        } else {
            whole(model, request, res, exchange);
        }
    }

    private void whole(ServedModel model, MeshRequest request, ServerResponse res, Exchange exchange) {
        BackendReply reply;
        try {
            reply = model.backend().call(request);
        } catch (BackendException e) {
            throw Failures.toApi(e);
        }
        Charge charge = charge(model, reply.tokens(), exchange);
        ObjectNode out = reply.body();
        out.put("model", model.id());
        ObjectNode usage = out.withObject("/usage");
        if (!usage.has("prompt_tokens")) {
            usage.put("prompt_tokens", reply.tokens().prompt());
            usage.put("total_tokens", reply.tokens().total());
        }
        usage.put("cost_usd", charge.costUsd());
        usage.put("energy_wh", charge.energyWh());
        res.header(Responses.MESH_MODEL, model.id());
        res.header(Responses.ENERGY_METHOD, charge.method().key());
        Responses.json(res, 200, out);
    }

    private void streamed(ServedModel model, MeshRequest request, ServerResponse res, Exchange exchange) {
        SseStream stream = new SseStream(res, model, exchange, metrics);
        try {
            Usage tokens = model.backend().stream(request, stream);
            charge(model, tokens, exchange);
            stream.finish();
        } catch (BackendException e) {
            if (!stream.started()) {
                throw Failures.toApi(e);
            }
            stream.fail(Failures.toApi(e));
        } catch (ClientGoneException e) {
            exchange.markClientGone();
        }
    }

    private Charge charge(ServedModel model, Usage tokens, Exchange exchange) {
        Charge charge = model.tariff().charge(tokens);
        exchange.tokens(tokens);
        metrics.charged(model.id(), tokens, charge);
        return charge;
    }
}
