package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ApiException;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.CompletionRequest;
import io.micromesh.api.EmbeddingRequest;
import io.micromesh.api.JsonBody;
import io.micromesh.api.MeshRequest;
import io.micromesh.core.MeshException;
import io.micromesh.core.ServedModel;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.dispatch.Admission;
import io.micromesh.core.dispatch.AudioCall;
import io.micromesh.core.dispatch.Call;
import io.micromesh.core.dispatch.Caller;
import io.micromesh.core.dispatch.Dispatcher;
import io.micromesh.core.dispatch.Lane;
import io.micromesh.core.dispatch.Outcome;
import io.micromesh.jobs.ItemSender;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * Runs a job's requests through the {@link Dispatcher} of this process, in the {@code batch} lane:
 * the same path as a client's request (routes, cascades, fallbacks, admission, accounting), without
 * HTTP — no loopback connection, no serializing and parsing of each request and answer twice. Bad
 * requests and failures come back as the status, message and {@code Retry-After} the gateway would
 * have answered, so that a job's output is the same in process and against a gateway's URL.
 * Thread-safe.
 */
final class DispatchSender implements ItemSender {

    /** What may go upstream as an {@code x-request-id} unchanged (an item's id may hold anything). */
    private static final java.util.regex.Pattern SAFE_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._:/+=-]{1,120}");

    private final Dispatcher dispatcher;
    private final Caller caller;
    private final String requestIdPrefix;
    private final io.opentelemetry.api.trace.Tracer tracer;
    private final io.opentelemetry.api.trace.SpanContext job;

    /**
     * @param keyId who runs the job, for the usage records of its requests
     */
    DispatchSender(Dispatcher dispatcher, String keyId) {
        this(dispatcher, keyId, io.opentelemetry.api.OpenTelemetry.noop());
    }

    /**
     * @param telemetry where each item's trace goes: one trace per item, linked to the job's span
     *                  (a span marking the job's start, ended at once: a job outlives any span)
     */
    DispatchSender(Dispatcher dispatcher, String keyId, io.opentelemetry.api.OpenTelemetry telemetry) {
        this(dispatcher, Caller.key(keyId), "item-", telemetry);
    }

    /**
     * @param caller          whom the job runs for: its key, whose grant (budgets, limits) its requests spend
     * @param requestIdPrefix what each item's request id starts with; the item's id follows
     */
    DispatchSender(Dispatcher dispatcher, Caller caller, String requestIdPrefix, io.opentelemetry.api.OpenTelemetry telemetry) {
        this.dispatcher = dispatcher;
        this.caller = caller;
        this.requestIdPrefix = requestIdPrefix;
        this.tracer = telemetry.getTracer("io.micromesh.batch");
        io.opentelemetry.api.trace.Span start = tracer.spanBuilder("batch job").setNoParent()
                .setAttribute("mesh.key_id", caller.keyId()).startSpan();
        this.job = start.getSpanContext();
        start.end();
    }

    @Override
    public Reply send(Request request) {
        if (Thread.currentThread().isInterrupted()) {
            throw new CancellationException("interrupted");  // not journaled: stays pending for a resume
        }
        String requestId = requestIdPrefix + (SAFE_ID.matcher(request.itemId()).matches() ? request.itemId()
                : "x" + Integer.toHexString(request.itemId().hashCode()));
        Admission batch = new Admission(Lane.BATCH, Long.MAX_VALUE, null, new Admission.Correlation(requestId, null));
        io.opentelemetry.api.trace.Span item = tracer.spanBuilder("batch item").setNoParent().addLink(job)
                .setSpanKind(io.opentelemetry.api.trace.SpanKind.CONSUMER).setAttribute("mesh.item_id", request.itemId())
                .setAttribute("mesh.request_id", requestId).startSpan();
        try (io.opentelemetry.context.Scope ignored = item.makeCurrent()) {
            return sendTraced(request, requestId, batch);
        } finally {
            item.end();
        }
    }

    private Reply sendTraced(Request request, String requestId, Admission batch) {
        return switch (request) {
            case Request.Json json -> {
                MeshRequest parsed;
                try {
                    parsed = parse(json.path(), json.body());
                } catch (ApiException e) {
                    yield failed(e, Optional.empty());
                }
                yield switch (dispatcher.answer(new Call(parsed, batch, requestId, caller, null, dispatcher.nanoTime()))) {
                    case Outcome.Answered answered -> new Reply.Answered(answered.body(), answered.usage().costUsd(),
                            answered.usage().energyWh(), answered.usage().promptTokens() + answered.usage().completionTokens(),
                            requestId);
                    case Outcome.Failed failed when failed.failure().failure() == MeshException.Failure.BUDGET_EXCEEDED ->
                            new Reply.Refused(failed.failure().getMessage());
                    case Outcome.Failed failed -> failed(Failures.toApi(failed.failure()), failed.failure().retryAfter());
                    default -> throw new IllegalStateException("a whole answer ended otherwise");
                };
            }
            case Request.Audio audio -> {
                AudioCall call = new AudioCall(audio.model(), rate -> TranscriptionEndpoint.decode(audio.audio(), rate), null,
                        null, batch, requestId, caller, null, dispatcher.nanoTime());
                yield switch (dispatcher.transcribe(call)) {
                    case Outcome.Transcribed heard -> {
                        ObjectNode body = heard.transcript().verboseJson(null, true, true);
                        body.set("usage", heard.usageJson());
                        yield new Reply.Answered(JsonBody.of(body), heard.charge().costUsd(), heard.charge().energyWh(), 0,
                                requestId);
                    }
                    case Outcome.Failed failed when failed.failure().failure() == MeshException.Failure.BUDGET_EXCEEDED ->
                            new Reply.Refused(failed.failure().getMessage());
                    case Outcome.Failed failed -> failed(Failures.toApi(failed.failure()), failed.failure().retryAfter());
                    default -> throw new IllegalStateException("a transcription ended otherwise");
                };
            }
        };
    }

    /**
     * The request of a batch line, as the endpoint of {@code path} would take it.
     *
     * @throws ApiException 400 when the body is not a valid request for it, or asks for a stream
     */
    static MeshRequest parse(String path, ObjectNode body) {
        MeshRequest request = switch (path) {
            case "/v1/chat/completions" -> ChatRequest.parse(body);
            case "/v1/completions" -> CompletionRequest.parse(body);
            case "/v1/embeddings" -> EmbeddingRequest.parse(body);
            default -> throw ApiException.notFound("Unknown route: POST " + path);
        };
        if (request.stream()) {
            throw ApiException.invalidRequest("stream", "'stream' is not available in a batch: its items are answered whole");
        }
        return request;
    }

    private static Reply.Failed failed(ApiException e, Optional<java.time.Duration> retryAfter) {
        return new Reply.Failed(e.status(), "http_" + e.status(), e.getMessage(),
                MeshException.Failure.ofHttpStatus(e.status()).retriable(), retryAfter);
    }

    @Override
    public List<String> models() {
        List<String> names = new ArrayList<>();
        dispatcher.portfolio().models().stream().map(ServedModel::id).forEach(names::add);
        dispatcher.router().routes().stream().map(RouteSpec::name).forEach(names::add);
        return names;
    }

    @Override
    public void close() {
        // the runtime owns the dispatcher
    }
}
