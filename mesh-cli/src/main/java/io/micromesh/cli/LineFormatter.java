package io.micromesh.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One line per log record: {@code 2026-11-26T05:04:51.812Z INFO    logger: message}, then the
 * stack trace if any. Written out by hand because {@link java.util.logging.SimpleFormatter} runs
 * {@code String.format} on every record, which the access log (a line per request) cannot afford.
 */
public final class LineFormatter extends Formatter {

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(160);
        DateTimeFormatter.ISO_INSTANT.formatTo(record.getInstant().truncatedTo(ChronoUnit.MILLIS), line);
        String level = record.getLevel().getName();
        line.append(' ').append(level).append(" ".repeat(Math.max(1, 8 - level.length())));
        line.append(record.getLoggerName()).append(": ").append(formatMessage(record)).append('\n');
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(trace);
        }
        return line.toString();
    }
}
