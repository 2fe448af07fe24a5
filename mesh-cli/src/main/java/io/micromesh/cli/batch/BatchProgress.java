package io.micromesh.cli.batch;

import io.micromesh.cli.pull.ProgressReporter;
import io.micromesh.jobs.JobProgress;
import java.time.Clock;
import java.util.Locale;

/**
 * Shows a batch job's progress with a {@link ProgressReporter} (a bar on a terminal, a line every
 * few seconds otherwise): items done of total, items/s and ETA, then this run's tokens/s, cost and
 * energy.
 */
public final class BatchProgress implements JobProgress {

    private final ProgressReporter reporter;
    private final Clock clock;
    private long startMillis = -1;

    public BatchProgress(ProgressReporter reporter, Clock clock) {
        this.reporter = reporter;
        this.clock = clock;
    }

    /** Shows the starting point (items done by earlier runs), from which rates are counted. */
    @Override
    public void started(Snapshot s) {
        synchronized (this) {
            startMillis = clock.millis();
        }
        reporter.detail(detail(s, 0));
        reporter.progress(s.done(), s.total());
    }

    @Override
    public void update(Snapshot s) {
        reporter.detail(() -> detail(s, seconds()));
        reporter.progress(s.done(), s.total());
    }

    @Override
    public void finished(Snapshot s) {
        reporter.detail(detail(s, seconds()));
        reporter.finished(s.done(), s.total());
    }

    private synchronized double seconds() {
        if (startMillis < 0) {
            startMillis = clock.millis();
        }
        return (clock.millis() - startMillis) / 1000.0;
    }

    /** For example {@code 1,234 tokens/s, $0.0123, 0.456 Wh}. */
    static String detail(Snapshot s, double seconds) {
        String rate = seconds > 0 ? String.format(Locale.ROOT, "%,.0f tokens/s", s.tokens() / seconds) : "-- tokens/s";
        return String.format(Locale.ROOT, "%s, $%.4f, %.3f Wh", rate, s.costUsd(), s.energyWh());
    }
}
