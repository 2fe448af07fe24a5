package io.micromesh.server;

import io.helidon.webserver.http.ServerRequest;
import io.micromesh.api.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

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
        try (InputStream in = req.content().inputStream()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (body.length > limit) {
                throw ApiException.tooLarge(limit);
            }
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the request body", e);
        }
    }
}
