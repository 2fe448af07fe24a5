package io.micromesh.core.dispatch;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;

/**
 * The trace context a model call carries upstream, and the spans recorded below the dispatcher
 * (the wait for a place at a replica), whose tracer the dispatcher puts in the call's context.
 */
final class Tracing {

    /** The dispatcher's tracer, in the context of an attempt: set only when tracing is on. */
    static final io.opentelemetry.context.ContextKey<io.opentelemetry.api.trace.Tracer> TRACER =
            io.opentelemetry.context.ContextKey.named("io.micromesh.tracer");

    private Tracing() {
    }

    /**
     * Records a {@code queue wait} span, a child of the current attempt, for a request that waited
     * {@code waitedNanos} for a place at {@code replica}, ending now; nothing when tracing is off.
     */
    static void queueWait(String replica, Lane lane, long waitedNanos) {
        io.opentelemetry.api.trace.Tracer tracer = io.opentelemetry.context.Context.current().get(TRACER);
        if (tracer == null) {
            return;
        }
        java.time.Instant end = java.time.Instant.now();
        tracer.spanBuilder("queue wait").setStartTimestamp(end.minusNanos(waitedNanos))
                .setAttribute("mesh.replica", replica).setAttribute("mesh.lane", lane.key())
                .setAttribute("mesh.queue_wait_ms", waitedNanos / 1e6).startSpan().end(end);
    }

    /**
     * The admission with {@code span}'s W3C {@code traceparent}, so that the upstream continues the
     * trace under the attempt; unchanged when the span is not recorded (tracing off: the caller's
     * own traceparent passes through).
     */
    static Admission carrying(Admission admission, Span span) {
        SpanContext context = span.getSpanContext();
        if (!context.isValid()) {
            return admission;
        }
        String traceparent = "00-" + context.getTraceId() + "-" + context.getSpanId() + "-" + context.getTraceFlags().asHex();
        return new Admission(admission.lane(), admission.deadlineNanos(), admission.affinity(),
                new Admission.Correlation(admission.correlation().requestId(), traceparent));
    }
}
