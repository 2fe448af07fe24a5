package io.micromesh.jobs;

/**
 * Told how a job advances, after each item and at the end; implementations that print throttle
 * themselves. Called from many threads at once.
 */
public interface JobProgress {

    /**
     * Where a job stands.
     *
     * @param done       items done, those done by earlier runs of the job included
     * @param total      items in the job
     * @param doneBefore items earlier runs had done (rates count only this run's)
     * @param tokens     tokens (prompt and completion) of this run's items
     * @param costUsd    cost of this run's items
     * @param energyWh   energy of this run's items
     */
    record Snapshot(long done, long total, long doneBefore, long tokens, double costUsd, double energyWh) {
    }

    /** The run begins, at {@code snapshot.doneBefore()} items done by earlier runs. */
    default void started(Snapshot snapshot) {
    }

    /** The job advanced. */
    void update(Snapshot snapshot);

    /** The job ended (completed or stopped). */
    default void finished(Snapshot snapshot) {
    }

    /** Ignores everything. */
    static JobProgress none() {
        return snapshot -> { };
    }
}
