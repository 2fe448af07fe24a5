package io.micromesh.cli;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.StreamHandler;

/**
 * Logs to standard error like {@link java.util.logging.ConsoleHandler}, but buffered: records
 * reach the terminal within 200 ms, warnings and errors at once. The console handler flushes,
 * that is makes a system call, on every record, which at thousands of access-log lines a second
 * costs the gateway a fifth of its throughput (docs/benchmarks.md). Thread-safe.
 */
public final class BufferedConsoleHandler extends StreamHandler {

    private static final long FLUSH_EVERY_MS = 200;

    public BufferedConsoleHandler() {
        super(System.err, new LineFormatter());
        setLevel(Level.ALL);
        ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("log-flush").daemon().factory());
        flusher.scheduleWithFixedDelay(this::flush, FLUSH_EVERY_MS, FLUSH_EVERY_MS, TimeUnit.MILLISECONDS);
        Runtime.getRuntime().addShutdownHook(new Thread(this::flush, "log-flush-at-exit"));
    }

    @Override
    public synchronized void publish(LogRecord record) {
        super.publish(record);
        if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
            flush();
        }
    }

    /** Flushes, but never closes standard error. */
    @Override
    public synchronized void close() {
        flush();
    }
}
