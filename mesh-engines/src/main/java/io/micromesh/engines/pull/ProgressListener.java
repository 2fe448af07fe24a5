package io.micromesh.engines.pull;

/**
 * Told how far a long piece of work has gone: bytes of a download, items of a batch.
 *
 * <p>The first call gives the starting point, which is not zero when a download resumes; rates are
 * counted from it. Calls come from one thread at a time, often (every buffer of a download), so an
 * implementation that prints must throttle itself, as {@link ProgressReporter} does.
 */
@FunctionalInterface
public interface ProgressListener {

    /**
     * The work advanced.
     *
     * @param done  units done so far, including those done before a resume
     * @param total units in all, or -1 when unknown
     */
    void progress(long done, long total);

    /** The work ended, successfully or not, at {@code done} of {@code total} (-1 when unknown). */
    default void finished(long done, long total) {
    }

    /** A listener that ignores everything. */
    static ProgressListener none() {
        return (done, total) -> { };
    }
}
