package io.micromesh.core.dispatch;

/**
 * How a request is to be admitted to a backend: its lane, the moment after which it must not be
 * sent (a {@link System#nanoTime()} value, or {@link Long#MAX_VALUE} for none), and a key whose
 * requests should go to the same replica (its prompt cache), or null.
 *
 * @param lane          the priority lane
 * @param deadlineNanos when waiting must end, on the {@code System.nanoTime()} scale
 * @param affinity      a session, user or prompt-prefix key, or null
 */
public record Admission(Lane lane, long deadlineNanos, String affinity) {

    /** An interactive request with no deadline and no affinity. */
    public static final Admission DEFAULT = new Admission(Lane.INTERACTIVE, Long.MAX_VALUE, null);

    public Admission {
        if (lane == null) {
            throw new IllegalArgumentException("a lane is required");
        }
    }

    /** Whether a deadline was given. */
    public boolean hasDeadline() {
        return deadlineNanos != Long.MAX_VALUE;
    }
}
