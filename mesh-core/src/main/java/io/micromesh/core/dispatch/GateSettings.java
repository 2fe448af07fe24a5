package io.micromesh.core.dispatch;

/**
 * The settings of one replica's gate.
 *
 * @param minLimit      the in-flight limit never goes below this
 * @param maxLimit      nor above this
 * @param adaptive      the limit follows the measured latency (Vegas); else it is {@code maxLimit}
 * @param queueSize     requests that may wait for a place, over all lanes
 * @param agentShare    the share of places reserved for the {@code agent} lane while it waits
 * @param batchShare    the share reserved for the {@code batch} lane while it waits
 * @param interactiveShare the share of places that the lower lanes may never take, so that an
 *                      interactive request finds one free at once (at least one place when the limit
 *                      is two or more)
 */
public record GateSettings(int minLimit, int maxLimit, boolean adaptive, int queueSize, double agentShare,
                           double batchShare, double interactiveShare) {

    public GateSettings {
        if (minLimit < 1 || maxLimit < minLimit) {
            throw new IllegalArgumentException("limits " + minLimit + ".." + maxLimit);
        }
        if (queueSize < 0) {
            throw new IllegalArgumentException("queue size " + queueSize);
        }
        if (!(agentShare >= 0 && batchShare >= 0 && agentShare + batchShare <= 0.9)) {
            throw new IllegalArgumentException("shares " + agentShare + ", " + batchShare);
        }
        if (!(interactiveShare >= 0 && interactiveShare <= 0.5)) {
            throw new IllegalArgumentException("interactive share " + interactiveShare);
        }
    }

    /** Places of a limit that only interactive requests may take. */
    int keptForInteractive(int limit) {
        if (interactiveShare == 0 || limit < 2) {
            return 0;
        }
        return Math.max(1, (int) Math.round(limit * interactiveShare));
    }

    /** A fixed limit with the default queue and shares. */
    public static GateSettings fixed(int limit) {
        return new GateSettings(limit, limit, false, 256, 0.1, 0.05, 0.125);
    }

    double share(Lane lane) {
        return switch (lane) {
            case INTERACTIVE -> 0;
            case AGENT -> agentShare;
            case BATCH -> batchShare;
        };
    }
}
