package io.micromesh.server;

import io.helidon.webserver.http.ServerRequest;
import io.micromesh.api.ApiException;
import java.io.IOException;
import java.io.InputStream;

/** Reads request bodies up to the configured limit; a larger one is answered 413 without reading it all. */
final class RequestBodies {

    private final long limit;

    RequestBodies(long limit) {
        this.limit = limit;
    }

    byte[] read(ServerRequest req) {
        req.headers().contentLength().ifPresent(length -> {
            if (length > limit) {
                throw ApiException.tooLarge(limit);
            }
        });
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        // not closed on failure: closing reads on to the end of a body the connection will not reuse
        InputStream in = req.content().inputStream();
        try (ConnectionWatch.BodyReading reading = ConnectionWatch.readingBody()) {
            // with a length announced (and checked above) the body is read into one array of its size,
            // not into buffers of 16 KB copied together: the gateway reads one per request
            long announced = req.headers().contentLength().orElse(-1);
            byte[] body = in.readNBytes((int) (announced >= 0 ? announced : Math.min(Integer.MAX_VALUE - 8, limit + 1)));
            if (body.length > limit) {
                throw ApiException.tooLarge(limit);
            }
            if (announced >= 0 && body.length < announced) {
                throw new IOException("the body ended before its announced length");
            }
            in.close();
            return body;
        } catch (ApiException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // the server's reader fails on a broken chunked encoding (a size that is not hex, a negative
            // one) or a body that ends early: the client's framing, answered as such
            throw ApiException.invalidRequest(null, "The request body cannot be read: its chunked encoding is invalid or it"
                    + " ended before its announced length.");
        }
    }
}
