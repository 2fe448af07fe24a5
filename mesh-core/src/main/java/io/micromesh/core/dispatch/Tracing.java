package io.micromesh.core.dispatch;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;

/** The trace context a model call carries upstream. */
final class Tracing {

    private Tracing() {
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
