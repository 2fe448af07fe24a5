package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.CompletionRequest;
import io.micromesh.api.EmbeddingRequest;
import io.micromesh.api.Json;
import io.micromesh.api.MeshRequest;
import io.micromesh.api.Operation;
import io.micromesh.core.dispatch.Call;
import io.micromesh.core.dispatch.Dispatcher;
import io.micromesh.core.dispatch.Outcome;

/**
 * {@code POST /v1/chat/completions}, {@code /v1/completions} and {@code /v1/embeddings}: parse and
 * validate the body, read how it is to be admitted from its headers, hand it to the
 * {@link Dispatcher} (which chooses, calls, falls back, charges and learns), and render the outcome:
 * a JSON answer with the {@code x-mesh-*} headers, a stream of server-sent events, or an
 * OpenAI-shaped error.
 */
final class InferenceEndpoint {

    private final Dispatcher dispatcher;
    private final RequestBodies bodies;
    private final RequestSpans spans;

    InferenceEndpoint(Dispatcher dispatcher, RequestBodies bodies, RequestSpans spans) {
        this.dispatcher = dispatcher;
        this.bodies = bodies;
        this.spans = spans;
    }

    void handle(Operation operation, ServerRequest req, ServerResponse res) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        exchange.markInference();
        ObjectNode body = Json.parseObject(bodies.read(req));
        MeshRequest request = switch (operation) {
            case CHAT_COMPLETIONS -> ChatRequest.parse(body);
            case COMPLETIONS -> CompletionRequest.parse(body);
            case EMBEDDINGS -> EmbeddingRequest.parse(body);
            case RESPONSES -> throw new IllegalStateException("/v1/responses has its own endpoint");
        };
        Call call = new Call(request, Admissions.of(req, request, dispatcher.defaultLane(request.model()), exchange.startNanos()),
                exchange.id(), Callers.of(req, exchange), Callers.task(req), exchange.startNanos(),
                Admissions.cacheDirective(req));
        io.opentelemetry.api.trace.Span span = spans.start(req, RequestSpans.operation(operation), request.model());
        if (span.getSpanContext().isValid()) {
            exchange.traceId(span.getSpanContext().getTraceId());
        }
        try (io.opentelemetry.context.Scope ignored = span.makeCurrent()) {
            if (request.stream()) {
                streamed(call, res, exchange);
            } else {
                whole(call, res, exchange);
            }
        } finally {
            RequestSpans.finish(span, exchange.usage());
        }
    }

    private void whole(Call call, ServerResponse res, Exchange exchange) {
        Outcome.Answered answered = Responses.answered(dispatcher.answer(call), res, exchange);
        Responses.served(res, answered.served());
        Responses.json(res, 200, answered.body().bytes());
    }

    private void streamed(Call call, ServerResponse res, Exchange exchange) {
        SseStream stream = new SseStream(res, exchange);
        Outcome outcome = dispatcher.stream(call, stream);
        if (Responses.streamWentWell(outcome, stream.started(), stream::fail, res, exchange)) {
            stream.finish();
        }
    }
}
