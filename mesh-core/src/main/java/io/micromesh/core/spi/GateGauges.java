package io.micromesh.core.spi;

import io.micromesh.core.dispatch.Lane;

/**
 * What a replica's admission shows to metrics and dashboards, read without a lock: its in-flight
 * limit and load, and per priority lane its queue and what happened to the requests that waited.
 */
public interface GateGauges {

    /** The replica's name, for labels. */
    String name();

    /** The in-flight limit now (adaptive unless fixed). */
    int limit();

    /** Requests in flight now. */
    int inFlight();

    /** Requests waiting now, over all lanes. */
    int queued();

    /** Requests of a lane waiting now. */
    int queued(Lane lane);

    /** Requests of a lane admitted so far (those that waited and those that did not). */
    long admitted(Lane lane);

    /** Their total time waiting, in seconds. */
    double waitSeconds(Lane lane);

    /** Requests of a lane refused because the queue was full. */
    long refused(Lane lane);

    /** Requests of a lane whose deadline passed while they waited. */
    long expired(Lane lane);
}
