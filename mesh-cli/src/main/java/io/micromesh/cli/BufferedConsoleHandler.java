package io.micromesh.cli;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.ErrorManager;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Logs to standard error like {@link java.util.logging.ConsoleHandler}, but buffered: records
 * reach the terminal within 200 ms, warnings and errors at once. The console handler flushes,
 * that is makes a system call, on every record, which at thousands of access-log lines a second
 * costs the gateway a fifth of its throughput (docs/benchmarks.md). The buffer holds whole lines
 * and is written in one call on {@code System.err}, whose lock the command's own messages take too:
 * a line is never cut by another (a JSON line cut in two is two broken records for a log shipper;
 * a stream handler's writer flushed its buffer mid-line when it filled). Thread-safe.
 */
public final class BufferedConsoleHandler extends Handler {

    private static final long FLUSH_EVERY_MS = 200;

    private final StringBuilder pending = new StringBuilder(8192);  // guarded by this

    public BufferedConsoleHandler() {
        setFormatter(new LineFormatter());
        setLevel(Level.ALL);
        ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("log-flush").daemon().factory());
        flusher.scheduleWithFixedDelay(this::flush, FLUSH_EVERY_MS, FLUSH_EVERY_MS, TimeUnit.MILLISECONDS);
        Runtime.getRuntime().addShutdownHook(new Thread(this::flush, "log-flush-at-exit"));
    }

    @Override
    public void publish(LogRecord record) {
        if (!isLoggable(record)) {
            return;
        }
        String line;
        try {
            line = getFormatter().format(record);
        } catch (RuntimeException e) {
            reportError("cannot format a log record", e, ErrorManager.FORMAT_FAILURE);
            return;
        }
        synchronized (this) {
            pending.append(line);
        }
        if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
            flush();
        }
    }

    @Override
    public void flush() {
        byte[] lines;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            lines = pending.toString().getBytes(System.err.charset());
            pending.setLength(0);
        }
        System.err.write(lines, 0, lines.length);  // one call under System.err's lock: whole lines only
        System.err.flush();
    }

    /** Flushes, but never closes standard error. */
    @Override
    public void close() {
        flush();
    }
}
