package io.micromesh.core.spi;

/**
 * Whether a backend can take requests now.
 *
 * @param state  the state
 * @param detail a human-readable explanation, e.g. "1 of 2 replicas ejected"
 */
public record BackendHealth(State state, String detail) {

    /** The states a backend may be in. */
    public enum State {
        /** Takes requests. */
        READY,
        /** Takes requests, with part of its capacity out (some replicas ejected). */
        DEGRADED,
        /** Loading or starting; will be ready soon. */
        STARTING,
        /** Cannot take requests now (all replicas ejected); may recover. */
        DOWN,
        /** Will not take requests in this process (engine not available). */
        UNAVAILABLE
    }

    /** Ready, with a detail. */
    public static BackendHealth ready(String detail) {
        return new BackendHealth(State.READY, detail);
    }

    /** Whether requests are accepted in this state. */
    public boolean serving() {
        return state == State.READY || state == State.DEGRADED;
    }
}
