package io.micromesh.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.micromesh.api.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One JSON object per log record, for log shippers ({@code server.log-format: json}): {@code time},
 * {@code level}, {@code logger}, {@code message}, {@code request_id} when the record is about a
 * request, {@code trace_id} when it was written inside a traced request (and on the access log's
 * lines of traced requests), {@code error} with the stack trace when there is one. The access log's line (the logger
 * {@code io.micromesh.access}: {@code ID METHOD PATH key=value ...}) becomes fields of its own:
 * {@code method}, {@code path}, {@code model}, {@code status}, {@code latency_ms}, the tokens.
 */
public final class JsonLineFormatter extends Formatter {

    private static final String ACCESS = "io.micromesh.access";
    private static final Pattern ABOUT_A_REQUEST = Pattern.compile("^request (\\S+?):");
    private static final Pattern FIELD = Pattern.compile("([a-z_]+)=(\\S+)");

    @Override
    public String format(LogRecord record) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = Json.mapper().getFactory().createGenerator(out)) {
            g.writeStartObject();
            StringBuilder time = new StringBuilder(24);
            DateTimeFormatter.ISO_INSTANT.formatTo(record.getInstant().truncatedTo(ChronoUnit.MILLIS), time);
            g.writeStringField("time", time.toString());
            g.writeStringField("level", record.getLevel().getName());
            g.writeStringField("logger", record.getLoggerName());
            String message = formatMessage(record);
            if (ACCESS.equals(record.getLoggerName())) {
                access(g, message);
            } else {
                Matcher about = ABOUT_A_REQUEST.matcher(message);
                if (about.find()) {
                    g.writeStringField("request_id", about.group(1));
                }
                // a line written inside a traced request (formatting happens on the logging thread)
                io.opentelemetry.api.trace.SpanContext span = io.opentelemetry.api.trace.Span.current().getSpanContext();
                if (span.isValid()) {
                    g.writeStringField("trace_id", span.getTraceId());
                }
            }
            g.writeStringField("message", message);
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                g.writeStringField("error", trace.toString());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("a log record always serializes", e);
        }
        return out.append('\n').toString();
    }

    /** The access log's fields: {@code ID METHOD PATH key=value ...}; numbers as numbers. */
    private static void access(JsonGenerator g, String line) throws IOException {
        String[] words = line.split(" ", 4);
        if (words.length < 3) {
            return;
        }
        g.writeStringField("request_id", words[0]);
        g.writeStringField("method", words[1]);
        g.writeStringField("path", words[2]);
        if (words.length == 4) {
            Matcher field = FIELD.matcher(words[3]);
            while (field.find()) {
                String value = field.group(2);
                if (value.matches("-?\\d+(\\.\\d+)?")) {
                    g.writeFieldName(field.group(1));
                    g.writeNumber(value);
                } else {
                    g.writeStringField(field.group(1), value);
                }
            }
        }
    }
}
