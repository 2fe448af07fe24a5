package io.micromesh.cli.pull;

import io.micromesh.engines.pull.ProgressListener;
import java.io.Console;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;

/**
 * Shows a {@link ProgressListener}'s progress to a person: a bar redrawn in place on a terminal,
 * or a plain line at most every few seconds (and a last one at the end) when the output is a file
 * or a pipe, so that logs stay readable.
 *
 * <p>Written by hand rather than taken from a progress-bar library: what is needed is two pure
 * formatting functions and a throttle, testable with an injected clock, and the library that would
 * fit brings a terminal library along to learn the terminal's width, which this does not need.
 *
 * <p>Thread-safe; the output is written and flushed from the calling thread.
 */
public final class ProgressReporter implements ProgressListener {

    /** What is counted, which decides how amounts and rates read. */
    public enum Unit {
        /** Amounts in decimal units ({@code 512.0 MB}), rates in {@code MB/s}. */
        BYTES,
        /** Amounts as whole numbers ({@code 1,234}), rates in {@code items/s}. */
        ITEMS;

        /** An amount as this unit reads, for example {@code 512.0 MB} or {@code 1,234}. */
        public String amount(long value) {
            return ProgressReporter.amount(this, value);
        }
    }

    private static final Duration REDRAW = Duration.ofMillis(100);
    private static final int BAR_WIDTH = 24;

    private final PrintWriter out;
    private final String label;
    private final Unit unit;
    private final Clock clock;
    private final boolean bar;
    private final long everyMillis;
    private long startMillis = -1;
    private long start;
    private long lastShownMillis;
    private int lastWidth;
    private java.util.function.Supplier<String> detailSource;
    private String detail = "";

    private ProgressReporter(PrintWriter out, String label, Unit unit, Clock clock, boolean bar, Duration every) {
        this.out = out;
        this.label = label;
        this.unit = unit;
        this.clock = clock;
        this.bar = bar;
        this.everyMillis = every.toMillis();
    }

    /** A bar redrawn in place ({@code \r}) at most ten times a second, ended by a new line. */
    public static ProgressReporter bar(PrintWriter out, String label, Unit unit, Clock clock) {
        return new ProgressReporter(out, label, unit, clock, true, REDRAW);
    }

    /** A plain line at most once per {@code every}, and a last one when finished. */
    public static ProgressReporter lines(PrintWriter out, String label, Unit unit, Clock clock, Duration every) {
        if (every.isNegative()) {
            throw new IllegalArgumentException("every was " + every + "; expected zero or more");
        }
        return new ProgressReporter(out, label, unit, clock, false, every);
    }

    /** A bar when {@code out} goes to a terminal (as far as the JDK can tell), lines every 5 s otherwise. */
    public static ProgressReporter forConsole(PrintWriter out, String label, Unit unit, Clock clock) {
        return isTerminal() ? bar(out, label, unit, clock) : lines(out, label, unit, clock, Duration.ofSeconds(5));
    }

    @Override
    public synchronized void progress(long done, long total) {
        long now = clock.millis();
        if (startMillis < 0) {
            startMillis = now;
            lastShownMillis = now;
            start = done;
            if (bar) {
                show(done, total, now, false);
            }
            return;
        }
        if (now - lastShownMillis >= everyMillis) {
            show(done, total, now, false);
        }
    }

    @Override
    public synchronized void finished(long done, long total) {
        long now = clock.millis();
        if (startMillis < 0) {
            startMillis = now;
            start = done;
        }
        show(done, total, now, true);
        if (bar) {
            out.println();
            out.flush();
        }
    }

    /**
     * Sets a text shown after the figures from the next redraw on, for example the tokens per
     * second and the cost of a batch job.
     */
    public synchronized void detail(String text) {
        this.detail = text == null ? "" : text;
        this.detailSource = null;
    }

    /**
     * Sets where the detail comes from: asked only when the bar or line is redrawn (a few times a
     * second), not at every update — a batch job updates once per item.
     */
    public synchronized void detail(java.util.function.Supplier<String> source) {
        this.detailSource = source;
    }

    private void show(long done, long total, long now, boolean finished) {
        lastShownMillis = now;
        if (detailSource != null) {
            String text = detailSource.get();
            detail = text == null ? "" : text;
        }
        Duration elapsed = Duration.ofMillis(now - startMillis);
        if (bar) {
            String text = renderBar(unit, label, done, total, start, elapsed, finished) + (detail.isEmpty() ? "" : "  " + detail);
            // pad with spaces over the end of a longer previous bar
            out.print("\r" + text + " ".repeat(Math.max(0, lastWidth - text.length())));
            lastWidth = text.length();
        } else {
            out.println(renderLine(unit, label, done, total, start, elapsed, finished) + (detail.isEmpty() ? "" : ", " + detail));
        }
        out.flush();
    }

    /**
     * The bar, for example {@code model.gguf [##########..............]  42%  512.0 MB / 1.2 GB  12.3 MB/s  ETA 1m05s}.
     *
     * @param start   the amount done when the work (re)started, so that a resumed download's rate
     *                counts only what this run did
     * @param elapsed time since the work (re)started
     */
    static String renderBar(Unit unit, String label, long done, long total, long start, Duration elapsed,
            boolean finished) {
        StringBuilder s = new StringBuilder(label);
        if (total > 0) {
            int filled = (int) Math.min(BAR_WIDTH, done * BAR_WIDTH / total);
            s.append(" [").append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ");
            s.append(String.format(Locale.ROOT, "%3d%%", percent(done, total)));
            s.append("  ").append(amount(unit, done)).append(" / ").append(amount(unit, total));
        } else {
            s.append("  ").append(amount(unit, done));
        }
        s.append("  ").append(rate(unit, done - start, elapsed));
        s.append("  ").append(timing(done, total, start, elapsed, finished, "ETA "));
        return s.toString();
    }

    /**
     * The plain line, for example {@code model.gguf: 512.0 MB of 1.2 GB (42%), 12.3 MB/s, ETA 1m05s}.
     *
     * @see #renderBar
     */
    static String renderLine(Unit unit, String label, long done, long total, long start, Duration elapsed,
            boolean finished) {
        StringBuilder s = new StringBuilder(label).append(": ").append(amount(unit, done));
        if (total > 0) {
            s.append(" of ").append(amount(unit, total)).append(" (").append(percent(done, total)).append("%)");
        }
        s.append(", ").append(rate(unit, done - start, elapsed));
        s.append(", ").append(timing(done, total, start, elapsed, finished, "ETA "));
        return s.toString();
    }

    private static long percent(long done, long total) {
        // rounded down, so that 100% means complete
        return Math.min(100, Math.max(0, done) * 100 / total);
    }

    private static String timing(long done, long total, long start, Duration elapsed, boolean finished, String eta) {
        if (finished) {
            return (total > 0 && done < total ? "stopped after " : "done in ") + duration(elapsed);
        }
        long doneThisRun = done - start;
        if (total <= 0 || doneThisRun <= 0 || elapsed.isZero()) {
            return eta + "--";
        }
        double seconds = (total - done) * (elapsed.toMillis() / 1000.0) / doneThisRun;
        return eta + duration(Duration.ofSeconds((long) Math.ceil(seconds)));
    }

    static String amount(Unit unit, long value) {
        if (unit == Unit.ITEMS) {
            return String.format(Locale.ROOT, "%,d", value);
        }
        if (value < 1000) {
            return value + " B";
        }
        String[] prefixes = {"kB", "MB", "GB", "TB", "PB", "EB"};
        double scaled = value;
        int i = -1;
        while (scaled >= 999.95 && i < prefixes.length - 1) {
            scaled /= 1000;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", scaled, prefixes[i]);
    }

    private static String rate(Unit unit, long doneThisRun, Duration elapsed) {
        if (elapsed.isZero() || doneThisRun < 0) {
            return unit == Unit.BYTES ? "-- B/s" : "-- items/s";
        }
        double perSecond = doneThisRun / (elapsed.toMillis() / 1000.0);
        if (unit == Unit.ITEMS) {
            return String.format(Locale.ROOT, "%.1f items/s", perSecond);
        }
        return amount(Unit.BYTES, Math.round(perSecond)) + "/s";
    }

    static String duration(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
    }

    /**
     * Whether the process talks to a terminal. {@code System.console()} is null when it does not on
     * JDK 21 and 25; on JDK 22 to 24 it is a console all the same, and {@code Console.isTerminal()}
     * (JDK 22+, called reflectively because micromesh compiles for 21) tells.
     */
    private static boolean isTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;  // JDK 21: a console exists only on a terminal
        }
    }
}
