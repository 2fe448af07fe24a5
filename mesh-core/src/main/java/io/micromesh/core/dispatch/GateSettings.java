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
 */
public record GateSettings(int minLimit, int maxLimit, boolean adaptive, int queueSize, double agentShare,
                           double batchShare) {

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
    }

    /** A fixed limit with the default queue and shares. */
    public static GateSettings fixed(int limit) {
        return new GateSettings(limit, limit, false, 256, 0.1, 0.05);
    }

    double share(Lane lane) {
        return switch (lane) {
            case INTERACTIVE -> 0;
            case AGENT -> agentShare;
            case BATCH -> batchShare;
        };
    }
}
