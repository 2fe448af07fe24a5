package io.micromesh.engines.http;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.HttpClientResponse;
import java.io.IOException;
import java.io.InputStream;

/**
 * The body of an upstream's answer, read the way HTTP/1.1 delimits it and within bounds.
 *
 * <p>Three things Helidon's client stream does not do for us: a body without length or chunked
 * encoding ends when the server closes the connection (RFC 9112, 6.3), where Helidon throws
 * {@code InsufficientDataAvailableException} instead of ending the stream, and closing it reads past
 * the end again; a body may not run past the call's {@link CallDeadline}; and it may not exceed
 * {@code maxBytes}, so an upstream cannot fill the gateway's heap. Not thread-safe.
 */
public final class UpstreamBody extends InputStream {

    private final InputStream in;
    private final CallDeadline deadline;
    private final long maxBytes;
    private final boolean endsAtClose;
    private final long announced;
    private long read;
    private boolean ended;

    private UpstreamBody(InputStream in, CallDeadline deadline, long maxBytes, boolean endsAtClose, long announced) {
        this.in = in;
        this.deadline = deadline;
        this.maxBytes = maxBytes;
        this.endsAtClose = endsAtClose;
        this.announced = announced;
    }

    /** The body of {@code response}, to be read before {@code deadline} and at most {@code maxBytes} long. */
    public static UpstreamBody of(HttpClientResponse response, CallDeadline deadline, long maxBytes) {
        long announced = response.headers().contentLength().orElse(-1);
        boolean endsAtClose = announced < 0 && !response.headers().containsToken(HeaderValues.TRANSFER_ENCODING_CHUNKED);
        return new UpstreamBody(response.inputStream(), deadline, maxBytes, endsAtClose, announced);
    }

    /**
     * The whole body. With a {@code Content-Length} within bounds it is read into one array of that
     * size rather than into buffers of 16 KB copied together (the gateway reads one per request).
     */
    @Override
    public byte[] readAllBytes() throws IOException {
        if (announced < 0 || announced > maxBytes) {
            return super.readAllBytes();
        }
        byte[] body = readNBytes((int) announced);
        if (body.length < announced || read() != -1) {
            throw new IOException("the answer's length is not the " + announced + " bytes its Content-Length announced");
        }
        return body;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (ended) {
            return -1;
        }
        deadline.check();
        int n;
        try {
            n = in.read(b, off, len);
        } catch (DataReader.InsufficientDataAvailableException e) {
            if (!endsAtClose) {
                throw new IOException("the connection closed before the end of the answer", e);
            }
            n = -1;
        }
        if (n < 0) {
            ended = true;
            return -1;
        }
        read += n;
        if (read > maxBytes) {
            throw new TooLarge(maxBytes);
        }
        return n;
    }

    /**
     * Closes the body; the response's own close then keeps or drops the connection. A body that ends
     * at the connection's close is not closed through Helidon's stream, which would wait for more.
     */
    @Override
    public void close() throws IOException {
        if (ended || endsAtClose) {
            return;
        }
        try {
            in.close();
        } catch (DataReader.InsufficientDataAvailableException e) {
            throw new IOException("the connection closed before the end of the answer", e);
        }
    }

    /** The answer was longer than the gateway accepts. */
    public static final class TooLarge extends IOException {
        TooLarge(long maxBytes) {
            super("the answer is longer than " + maxBytes + " bytes");
        }
    }
}
