package io.micromesh.server;

import io.helidon.webserver.http.ServerRequest;
import io.micromesh.api.Operation;
import io.micromesh.core.accounting.UsageRecord;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;

/**
 * The span of one client request, following OpenTelemetry's GenAI semantic conventions
 * ({@code gen_ai.operation.name}, {@code gen_ai.request.model}, {@code gen_ai.response.model},
 * {@code gen_ai.usage.input_tokens}, {@code gen_ai.usage.output_tokens}) plus micromesh's own
 * ({@code mesh.route}, {@code mesh.policy}, {@code mesh.lane}, {@code mesh.cost_usd},
 * {@code mesh.energy_wh}, {@code mesh.energy_method}, {@code mesh.key_id}, {@code mesh.status});
 * never a secret or the prompt's text. An incoming {@code traceparent} is continued. The
 * dispatcher's spans (routing, each attempt) are its children.
 */
final class RequestSpans {

    private static final TextMapGetter<ServerRequest> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(ServerRequest req) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(ServerRequest req, String key) {
            return req == null ? null : req.headers().first(io.helidon.http.HeaderNames.create(key)).orElse(null);
        }
    };

    private final OpenTelemetry telemetry;
    private final Tracer tracer;

    RequestSpans(OpenTelemetry telemetry) {
        this.telemetry = telemetry;
        this.tracer = telemetry.getTracer("io.micromesh.gateway");
    }

    /** Starts the span of a request for {@code model}, as a child of the caller's trace when it sent one. */
    Span start(ServerRequest req, String operation, String model) {
        Context parent = telemetry.getPropagators().getTextMapPropagator().extract(Context.root(), req, HEADERS);
        return tracer.spanBuilder(operation + " " + model).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute("gen_ai.operation.name", operation).setAttribute("gen_ai.request.model", model)
                .setAttribute("http.request.method", req.prologue().method().text())
                .setAttribute("url.path", req.path().path()).startSpan();
    }

    /** The GenAI operation name of an endpoint. */
    static String operation(Operation operation) {
        return switch (operation) {
            case CHAT_COMPLETIONS -> "chat";
            case COMPLETIONS -> "text_completion";
            case EMBEDDINGS -> "embeddings";
            case RESPONSES -> "responses";
        };
    }

    /** Ends the span with what the request used; a request that failed is an error. */
    static void finish(Span span, UsageRecord usage) {
        if (usage != null) {
            span.setAttribute("gen_ai.response.model", usage.model())
                    .setAttribute("gen_ai.usage.input_tokens", usage.promptTokens())
                    .setAttribute("gen_ai.usage.output_tokens", usage.completionTokens())
                    .setAttribute("mesh.route", usage.route()).setAttribute("mesh.policy", usage.policy())
                    .setAttribute("mesh.lane", usage.lane().key()).setAttribute("mesh.cost_usd", usage.costUsd())
                    .setAttribute("mesh.energy_wh", usage.energyWh())
                    .setAttribute("mesh.energy_method", usage.energyMethod().key())
                    .setAttribute("mesh.key_id", usage.keyId()).setAttribute("mesh.status", usage.status())
                    .setAttribute("mesh.request_id", usage.requestId());
            if (!usage.workflowId().isEmpty()) {
                span.setAttribute("mesh.workflow_id", usage.workflowId());
            }
            if (!usage.ok()) {
                span.setStatus(StatusCode.ERROR, usage.status());
            }
        }
        span.end();
    }
}
