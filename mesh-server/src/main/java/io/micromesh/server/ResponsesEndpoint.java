package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiError;
import io.micromesh.api.ApiException;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.Json;
import io.micromesh.api.Quote;
import io.micromesh.api.ResponsesRequest;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.dispatch.Call;
import io.micromesh.core.dispatch.ClientStream;
import io.micromesh.core.dispatch.Dispatcher;
import io.micromesh.core.dispatch.Outcome;
import io.micromesh.core.dispatch.Served;
import io.micromesh.store.ResponseStore;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;

/**
 * OpenAI's Responses API on every chat-capable model and route: {@code POST /v1/responses} (whole or
 * streamed with the Responses event types), {@code GET /v1/responses/{id}} and {@code DELETE
 * /v1/responses/{id}}. A request is translated to a chat completion ({@link ResponsesShapes}) and
 * takes the same path as one (routing, lanes, accounting: its usage carries cost and energy). With
 * {@code store} (the default) the response and the conversation it ends are kept in the gateway's
 * store, its key's only, so that {@code previous_response_id} continues it. A model configured
 * {@code responses-api: passthrough} gets the request as it is instead, at its own {@code /v1/responses}.
 */
final class ResponsesEndpoint {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Dispatcher dispatcher;
    private final RequestBodies bodies;
    private final Optional<ResponseStore> store;
    private final Clock clock;

    ResponsesEndpoint(Dispatcher dispatcher, RequestBodies bodies, Optional<ResponseStore> store, Clock clock) {
        this.dispatcher = dispatcher;
        this.bodies = bodies;
        this.store = store;
        this.clock = clock;
    }

    void create(ServerRequest req, ServerResponse res) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        exchange.markInference();
        ObjectNode body = Json.parseObject(bodies.read(req));
        if (passesThrough(body.path("model").asText())) {
            passThrough(req, res, exchange, body);
            return;
        }
        ArrayNode history = null;
        if (body.path("previous_response_id").isTextual()) {
            history = conversation(exchange, body.path("previous_response_id").asText());
        }
        boolean keep = body.path("store").asBoolean(true) && store.isPresent();
        ChatRequest chat = ChatRequest.parse(ResponsesShapes.chatRequest(body, history));
        Call call = new Call(chat, Admissions.of(req, chat, dispatcher.defaultLane(chat.model()), exchange.startNanos()),
                exchange.id(), Callers.of(req, exchange), Callers.task(req),
                exchange.startNanos(), Admissions.cacheDirective(req));
        String id = "resp_" + hex();
        long createdAt = clock.instant().getEpochSecond();
        ObjectNode response;
        if (chat.stream()) {
            ResponsesStream stream = new ResponsesStream(new SseStream(res, exchange), ResponsesShapes.skeleton(id, body, createdAt));
            Outcome outcome = dispatcher.stream(call, stream);
            if (!Responses.streamWentWell(outcome, stream.started(), stream::fail, res, exchange)) {
                return;
            }
            response = stream.complete();
        } else {
            Outcome.Answered answered = Responses.answered(dispatcher.answer(call), res, exchange);
            JsonNode answer;
            try {
                answer = Json.mapper().readTree(answered.body().bytes());
            } catch (IOException e) {
                throw new IllegalStateException("the dispatcher's answer is not JSON", e);
            }
            response = ResponsesShapes.response(id, body, answer, createdAt);
            Responses.served(res, answered.served());
            Responses.json(res, 200, response);
        }
        if (keep) {
            store.get().put(id, exchange.keyId(), Json.string(response),
                    Json.string(ResponsesShapes.conversation(history, body, response)));
        }
    }

    /** Whether {@code name} is a model (not a route) configured {@code responses-api: passthrough}. */
    private boolean passesThrough(String name) {
        return dispatcher.router().route(name).isEmpty() && dispatcher.portfolio().model(name)
                .map(model -> model.spec() instanceof ModelSpec.OpenAi remote && remote.responsesPassthrough()).orElse(false);
    }

    /**
     * The request as it is to the upstream's own {@code /v1/responses}, through the dispatcher (so
     * admission, budgets and accounting hold); the answer, or each streamed event, as the upstream
     * sent it, with the model's id and the cost and energy in its usage. The upstream validates what
     * only it knows (its built-in tools, its stored responses: {@code previous_response_id} and
     * {@code GET}/{@code DELETE} of its ids are its own, so they are not kept here).
     */
    private void passThrough(ServerRequest req, ServerResponse res, Exchange exchange, ObjectNode body) {
        if (!body.path("model").isTextual()) {
            throw ApiException.invalidRequest("model", "missing_required_parameter", "Missing required parameter: 'model'.");
        }
        if (body.has("stream") && !body.get("stream").isBoolean()) {
            throw ApiException.invalidRequest("stream", "invalid_type", "'stream' must be a boolean.");
        }
        ResponsesRequest request = ResponsesRequest.of(body);
        Call call = new Call(request, Admissions.of(req, request, dispatcher.defaultLane(request.model()), exchange.startNanos()),
                exchange.id(), Callers.of(req, exchange), Callers.task(req),
                exchange.startNanos());
        if (!request.stream()) {
            Outcome.Answered answered = Responses.answered(dispatcher.answer(call), res, exchange);
            Responses.served(res, answered.served());
            Responses.json(res, 200, answered.body().bytes());
            return;
        }
        SseStream sse = new SseStream(res, exchange);
        Outcome outcome = dispatcher.stream(call, new ClientStream() {
            @Override
            public void attempt(Served served) {
                sse.attempt(served);
            }

            @Override
            public void send(ObjectNode event) {
                sse.sendEvent(event.path("type").asText("message"), event);
            }
        });
        boolean wentWell = Responses.streamWentWell(outcome, sse.started(), e -> {
            // the Responses API's own error event, as the upstream would have sent it
            sse.sendEvent("error", Json.object().put("type", "error").put("code", e.error().code())
                    .put("message", e.getMessage()).putNull("param"));
            sse.end();
        }, res, exchange);
        if (wentWell) {
            sse.end();
        }
    }

    void get(ServerRequest req, ServerResponse res) {
        Responses.json(res, 200, Json.parseObject(owned(req).response().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    void delete(ServerRequest req, ServerResponse res) {
        ResponseStore.Stored stored = owned(req);
        store.orElseThrow().delete(stored.id());
        Responses.json(res, 200, Json.object().put("id", stored.id()).put("object", "response").put("deleted", true));
    }

    private ResponseStore.Stored owned(ServerRequest req) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        return find(exchange, req.path().pathParameters().get("id"), "id");
    }

    /** The conversation a stored response ends, for {@code previous_response_id}. */
    private ArrayNode conversation(Exchange exchange, String id) {
        ResponseStore.Stored stored = find(exchange, id, "previous_response_id");
        try {
            return (ArrayNode) Json.mapper().readTree(stored.conversation());
        } catch (IOException e) {
            throw new IllegalStateException("the store holds a conversation it did not write", e);
        }
    }

    private ResponseStore.Stored find(Exchange exchange, String id, String param) {
        return store.flatMap(s -> s.get(id)).filter(s -> Exchange.seesAll(exchange.keyId()) || s.keyId().equals(exchange.keyId()))
                .orElseThrow(() -> new ApiException(param.equals("id") ? 404 : 400, new ApiError("No response with id '"
                        + Quote.clip(id) + "'" + (store.isEmpty() ? " (this gateway keeps no store)" : "") + ".",
                        "invalid_request_error", param, "response_not_found")));
    }

    private static String hex() {
        byte[] random = new byte[12];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
