package io.micromesh.cli.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.micromesh.cli.pull.ProgressReporter;
import io.micromesh.jobs.JobProgress.Snapshot;
import io.micromesh.testkit.FakeClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What a person sees of a batch job: items, rates and ETA counted from this run, then tokens, cost, energy. */
class BatchProgressTest {

    @Test
    void aResumedJobsBarCountsFromWhereItResumedAndShowsTokensCostAndEnergy() {
        FakeClock clock = new FakeClock();
        StringWriter text = new StringWriter();
        BatchProgress progress = new BatchProgress(ProgressReporter.bar(new PrintWriter(text), "mesh batch",
                ProgressReporter.Unit.ITEMS, clock), clock);

        progress.started(new Snapshot(4_000, 10_000, 4_000, 0, 0, 0));
        clock.advance(Duration.ofSeconds(10));
        progress.update(new Snapshot(5_000, 10_000, 4_000, 90_000, 0.125, 2.5));
        progress.finished(new Snapshot(5_000, 10_000, 4_000, 90_000, 0.125, 2.5));

        // 1,000 items of this run in 10 s: 100 items/s, 5,000 left take 50 s; 90,000 tokens in 10 s
        assertThat(text.toString()).contains(
                "\rmesh batch [#########...............]  40%  4,000 / 10,000  -- items/s  ETA --  -- tokens/s, $0.0000, 0.000 Wh",
                "\rmesh batch [############............]  50%  5,000 / 10,000  100.0 items/s  ETA 50s  9,000 tokens/s, $0.1250, 2.500 Wh");
    }

    @Test
    void withoutATerminalItIsALineWithTheSameFigures() {
        FakeClock clock = new FakeClock();
        StringWriter text = new StringWriter();
        BatchProgress progress = new BatchProgress(ProgressReporter.lines(new PrintWriter(text), "mesh batch",
                ProgressReporter.Unit.ITEMS, clock, Duration.ofSeconds(5)), clock);
        progress.started(new Snapshot(0, 200, 0, 0, 0, 0));
        clock.advance(Duration.ofSeconds(20));
        progress.finished(new Snapshot(200, 200, 0, 4_000, 0.002, 0.04));
        assertThat(text.toString().strip())
                .isEqualTo("mesh batch: 200 of 200 (100%), 10.0 items/s, done in 20s, 200 tokens/s, $0.0020, 0.040 Wh");
    }
}
