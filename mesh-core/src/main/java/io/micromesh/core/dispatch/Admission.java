package io.micromesh.core.dispatch;

/**
 * How a request is to be admitted to a backend: its lane, the moment after which it must not be
 * sent (a {@link System#nanoTime()} value, or {@link Long#MAX_VALUE} for none), and a key whose
 * requests should go to the same replica (its prompt cache), or null.
 *
 * @param lane          the priority lane
 * @param deadlineNanos when waiting must end, on the {@code System.nanoTime()} scale
 * @param affinity      a session, user or prompt-prefix key, or null
 * @param correlation   what ties the upstream call to the client's request in logs and traces
 */
public record Admission(Lane lane, long deadlineNanos, String affinity, Correlation correlation) {

    /** An interactive request with no deadline and no affinity. */
    public static final Admission DEFAULT = new Admission(Lane.INTERACTIVE, Long.MAX_VALUE, null);

    /**
     * The request's id and W3C trace context, passed to every upstream server and engine worker as
     * {@code x-request-id} and {@code traceparent}, so that their logs and a trace cross the hop.
     *
     * @param requestId   the request's id, or null
     * @param traceparent a W3C {@code traceparent} value, or null
     */
    public record Correlation(String requestId, String traceparent) {
        /** Nothing to pass on. */
        public static final Correlation NONE = new Correlation(null, null);
    }

    public Admission {
        if (lane == null) {
            throw new IllegalArgumentException("a lane is required");
        }
        correlation = correlation == null ? Correlation.NONE : correlation;
    }

    /** An admission with nothing to pass on upstream. */
    public Admission(Lane lane, long deadlineNanos, String affinity) {
        this(lane, deadlineNanos, affinity, Correlation.NONE);
    }

    /** Whether a deadline was given. */
    public boolean hasDeadline() {
        return deadlineNanos != Long.MAX_VALUE;
    }
}
