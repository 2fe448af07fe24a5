package io.micromesh.api;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads the {@code data} of server-sent events from a stream, one event at a time.
 *
 * <p>Hand-written rather than taken from a library: the JDK has no SSE client, the event grammar
 * is a few lines, and the gateway needs exact control over cancellation (closing this reader closes
 * the upstream connection) and over when a stream counts as broken. Comments ({@code :...}) and
 * fields other than {@code data} are skipped; multi-line data is joined with {@code \n}; an event
 * cut off by the end of the stream is dropped, as the specification says. Not thread-safe.
 */
public final class SseReader implements Closeable {

    private final BufferedReader reader;

    public SseReader(InputStream in) {
        this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 16 * 1024);
    }

    /**
     * The data of the next event that has some.
     *
     * @return empty at the end of the stream
     * @throws IOException when the stream fails
     */
    public Optional<String> next() throws IOException {
        StringBuilder data = null;
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    return Optional.of(data.toString());
                }
                continue;
            }
            if (line.startsWith("data:")) {
                String value = line.length() > 5 && line.charAt(5) == ' ' ? line.substring(6) : line.substring(5);
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
        }
        return Optional.empty();
    }

    /** Closes the underlying stream, which for an HTTP response cancels it. */
    @Override
    public void close() throws IOException {
        reader.close();
    }
}
