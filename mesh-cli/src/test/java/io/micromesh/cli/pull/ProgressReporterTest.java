package io.micromesh.cli.pull;

import static org.assertj.core.api.Assertions.assertThat;

import io.micromesh.cli.pull.ProgressReporter.Unit;
import io.micromesh.testkit.FakeClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a person sees of a download's progress: the pure rendering, then the throttled output. */
class ProgressReporterTest {

    private static final long MB = 1_000_000;

    @Test
    void theBarShowsBytesPercentRateAndEta() {
        String bar = ProgressReporter.renderBar(Unit.BYTES, "model.gguf", 512 * MB, 1_200 * MB, 0,
                Duration.ofSeconds(40), false);
        // 512 MB in 40 s is 12.8 MB/s; the 688 MB left take 53.75 s, shown rounded up
        assertThat(bar).isEqualTo("model.gguf [##########..............]  42%  512.0 MB / 1.2 GB  12.8 MB/s  ETA 54s");
    }

    @Test
    void aResumedDownloadCountsItsRateFromWhereItResumed() {
        String bar = ProgressReporter.renderBar(Unit.BYTES, "m", 900 * MB, 1_000 * MB, 800 * MB,
                Duration.ofSeconds(10), false);
        assertThat(bar).isEqualTo("m [#####################...]  90%  900.0 MB / 1.0 GB  10.0 MB/s  ETA 10s");
    }

    @Test
    void theLineSaysTheSameInWords() {
        assertThat(ProgressReporter.renderLine(Unit.BYTES, "model.gguf", 512 * MB, 1_200 * MB, 0,
                Duration.ofSeconds(40), false))
                .isEqualTo("model.gguf: 512.0 MB of 1.2 GB (42%), 12.8 MB/s, ETA 54s");
        assertThat(ProgressReporter.renderLine(Unit.BYTES, "model.gguf", 1_200 * MB, 1_200 * MB, 0,
                Duration.ofSeconds(100), true))
                .isEqualTo("model.gguf: 1.2 GB of 1.2 GB (100%), 12.0 MB/s, done in 1m40s");
        assertThat(ProgressReporter.renderLine(Unit.BYTES, "model.gguf", 300 * MB, 1_200 * MB, 0,
                Duration.ofSeconds(30), true))
                .isEqualTo("model.gguf: 300.0 MB of 1.2 GB (25%), 10.0 MB/s, stopped after 30s");
    }

    @Test
    void anUnknownTotalHasNeitherPercentNorEta() {
        assertThat(ProgressReporter.renderLine(Unit.BYTES, "f", 2_500, -1, 0, Duration.ofSeconds(1), false))
                .isEqualTo("f: 2.5 kB, 2.5 kB/s, ETA --");
        assertThat(ProgressReporter.renderBar(Unit.BYTES, "f", 2_500, -1, 0, Duration.ZERO, false))
                .isEqualTo("f  2.5 kB  -- B/s  ETA --");
    }

    @Test
    void itemsReadAsCountsForBatchJobs() {
        assertThat(ProgressReporter.renderLine(Unit.ITEMS, "calls", 12_345, 130_000, 0, Duration.ofSeconds(60), false))
                .isEqualTo("calls: 12,345 of 130,000 (9%), 205.8 items/s, ETA 9m32s");
    }

    @ParameterizedTest
    @CsvSource({"0, 0 B", "999, 999 B", "1000, 1.0 kB", "999949, 999.9 kB", "999950, 1.0 MB", "1234567890, 1.2 GB",
            "3000000000000, 3.0 TB"})
    void amountsOfBytesUseDecimalUnits(long bytes, String shown) {
        assertThat(Unit.BYTES.amount(bytes)).isEqualTo(shown);
    }

    @ParameterizedTest
    @CsvSource({"0, 0s", "59, 59s", "60, 1m00s", "3599, 59m59s", "3600, 1h00m", "90000, 25h00m"})
    void durationsAreShort(long seconds, String shown) {
        assertThat(ProgressReporter.duration(Duration.ofSeconds(seconds))).isEqualTo(shown);
    }

    @Test
    void linesComeAtMostOncePerIntervalAndOnceMoreAtTheEnd() {
        FakeClock clock = new FakeClock();
        StringWriter text = new StringWriter();
        ProgressReporter lines = ProgressReporter.lines(new PrintWriter(text), "m.gguf", Unit.BYTES, clock,
                Duration.ofSeconds(5));

        for (int second = 0; second <= 12; second++) {
            lines.progress(second * MB, 12 * MB);
            clock.advance(Duration.ofSeconds(1));
        }
        lines.finished(12 * MB, 12 * MB);

        assertThat(text.toString().lines()).containsExactly(
                "m.gguf: 5.0 MB of 12.0 MB (41%), 1.0 MB/s, ETA 7s",
                "m.gguf: 10.0 MB of 12.0 MB (83%), 1.0 MB/s, ETA 2s",
                "m.gguf: 12.0 MB of 12.0 MB (100%), 923.1 kB/s, done in 13s");
    }

    @Test
    void theBarIsRedrawnInPlaceAndEndsWithANewLine() {
        FakeClock clock = new FakeClock();
        StringWriter text = new StringWriter();
        ProgressReporter bar = ProgressReporter.bar(new PrintWriter(text), "m", Unit.BYTES, clock);

        bar.progress(0, 10_000);
        clock.advance(Duration.ofMillis(50));
        bar.progress(5_000, 10_000);  // within 100 ms of the last drawing: not drawn
        clock.advance(Duration.ofMillis(50));
        bar.progress(6_000, 10_000);
        bar.finished(10_000, 10_000);

        assertThat(text.toString()).isEqualTo(
                "\rm [........................]   0%  0 B / 10.0 kB  -- B/s  ETA --"
                        + "\rm [##############..........]  60%  6.0 kB / 10.0 kB  60.0 kB/s  ETA 1s"
                        + "\rm [########################] 100%  10.0 kB / 10.0 kB  100.0 kB/s  done in 0s"
                        + System.lineSeparator());
    }
}
