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
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.dispatch.Admission;
import io.micromesh.core.routing.Decision;
import io.micromesh.core.routing.RequestFacts;
import io.micromesh.core.routing.Router;
import io.micromesh.core.routing.verify.AnswerVerifier;
import io.micromesh.core.MeshException;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ClientGoneException;
import io.micromesh.core.spi.Usage;
import java.util.List;
import java.util.Optional;

/**
 * {@code POST /v1/chat/completions}, {@code /v1/completions} and {@code /v1/embeddings}: one flow
 * for all three — read and validate the body, find the model (or let the router choose one when
 * the request names a route; a {@code fallback} route tries the next model when one fails before
 * answering), check that it fits, call its backend
 * (whole or streamed), then charge the tokens and answer with {@code usage.cost_usd},
 * {@code usage.energy_wh} and the {@code x-mesh-*} headers. A chat request to a route that verifies
 * goes to the {@link Cascade} instead; the completions of routes that learn get an id of the
 * gateway's own and are remembered for {@code POST /v1/feedback}.
 */
final class InferenceEndpoint {

    private final Portfolio portfolio;
    private final Router router;
    private final RequestBodies bodies;
    private final GatewayMetrics metrics;
    private final Learning learning;
    private final Cascade cascade;

    InferenceEndpoint(Portfolio portfolio, Router router, RequestBodies bodies, GatewayMetrics metrics, Learning learning) {
        this.portfolio = portfolio;
        this.router = router;
        this.bodies = bodies;
        this.metrics = metrics;
        this.learning = learning;
        this.cascade = new Cascade(new AnswerVerifier(portfolio), learning, metrics);
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
        Optional<ServedModel> named = portfolio.model(request.model());
        Admission admission = Admissions.of(req, request,
                router.route(request.model()).map(RouteSpec::lane), exchange.startNanos());
        Decision decision = null;
        List<ServedModel> order;
        if (named.isPresent()) {
            order = List.of(named.get());
        } else {
            decision = decide(request, req);
            order = decision.order();
            if (decision.verify() != null && request instanceof ChatRequest chat) {
                cascade.serve(chat, decision, admission, res, exchange);
                return;
            }
        }
        // routes that learn name their chat completions, so that feedback can find them
        String completionId = decision != null && decision.learningText() != null
                && request.operation() == Operation.CHAT_COMPLETIONS ? Learning.completionId() : null;
        for (int i = 0; i < order.size(); i++) {
            ServedModel model = order.get(i);
            exchange.model(model.id());
            if (decision != null) {
                res.header(Responses.MESH_ROUTE, decision.header(i));
            }
            ModelFit.check(model.spec(), request);
            try {
                if (request.stream()) {
                    streamed(model, request, admission, res, exchange, completionId);
                } else {
                    whole(model, request, admission, res, exchange, completionId);
                }
                if (completionId != null) {
                    learning.remember(completionId, decision, model.id());
                }
                return;
            } catch (MeshException e) {
                if (i == order.size() - 1 || !e.retriable()) {
                    throw Failures.toApi(e);
                }
                // a fallback chain: the next model takes the request
            }
        }
    }

    /** The routing decision for a request whose model is not a model of the portfolio: a route, or 404. */
    private Decision decide(MeshRequest request, ServerRequest req) {
        if (!router.isRoute(request.model())) {
            throw ApiException.modelNotFound(request.model());
        }
        RequestFacts facts = RequestFacts.of(request, req.headers().first(Responses.MESH_TASK).orElse(null));
        Decision decision = router.decide(request.model(), facts).orElseThrow();
        metrics.routed(decision.route(), decision.policy(), decision.model().id());
        return decision;
    }

    /** Answers in one piece; a backend failure is thrown as it is, for the caller to fall back or report. */
    private void whole(ServedModel model, MeshRequest request, Admission admission, ServerResponse res, Exchange exchange,
                       String completionId) {
        BackendReply reply = model.backend().call(request, admission);
        Charge charge = charge(model, reply.tokens(), exchange);
        ObjectNode out = reply.body();
        out.put("model", model.id());
        if (completionId != null) {
            out.put("id", completionId);
        }
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

    private void streamed(ServedModel model, MeshRequest request, Admission admission, ServerResponse res,
                          Exchange exchange, String completionId) {
        SseStream stream = new SseStream(res, model, exchange, metrics).withId(completionId);
        try {
            Usage tokens = model.backend().stream(request, stream, admission);
            charge(model, tokens, exchange);
            stream.finish();
        } catch (MeshException e) {
            if (!stream.started()) {
                throw e;  // nothing sent yet: the caller may still fall back
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
