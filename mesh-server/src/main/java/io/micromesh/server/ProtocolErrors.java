package io.micromesh.server;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import io.micromesh.api.ApiError;
import io.micromesh.api.Json;

/**
 * The answers of the HTTP layer itself — a request line, header, path, encoding or version the
 * server cannot read, before any route runs — in OpenAI's error shape like every other answer,
 * instead of Helidon's empty bodies. The messages are fixed per status: the server's own wording
 * can name its classes, and only what a client can act on is said.
 */
final class ProtocolErrors implements DirectHandler {

    private ProtocolErrors() {
    }

    /** The handlers of every kind of protocol-level failure. */
    static DirectHandlers all() {
        DirectHandlers.Builder handlers = DirectHandlers.builder();
        ProtocolErrors errors = new ProtocolErrors();
        for (EventType type : EventType.values()) {
            handlers.addHandler(type, errors);
        }
        return handlers.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType event, Status status, ServerResponseHeaders headers,
                                    String message) {
        ApiError error = switch (status.code()) {
            case 413 -> new ApiError("The request body is larger than this gateway accepts.", "invalid_request_error", null,
                    "request_too_large");
            case 414 -> new ApiError("The request path is too long.", "invalid_request_error", null, "uri_too_long");
            case 431 -> new ApiError("The request headers are too large.", "invalid_request_error", null,
                    "request_header_fields_too_large");
            case 501 -> new ApiError("The request uses an HTTP feature this gateway does not implement.", "invalid_request_error",
                    null, "not_implemented");
            case 505 -> new ApiError("HTTP/1.0 is not served: send HTTP/1.1 (behind nginx, set proxy_http_version 1.1).",
                    "invalid_request_error", null, "http_version_not_supported");
            case 500 -> new ApiError("Internal error while reading the request.", "server_error", null, "internal_error");
            default -> new ApiError("The request cannot be read as HTTP/1.1: " + reason(status) + ".", "invalid_request_error",
                    null, status.code() == 404 ? "not_found" : "invalid_request");
        };
        TransportResponse.Builder response = TransportResponse.builder().status(status).headers(headers)
                .header(HeaderNames.CONTENT_TYPE, Responses.JSON)
                .entity(Json.bytes(error.toJson()));
        // the connection is not trusted after a request that could not be read
        return response.keepAlive(false).build();
    }

    private static String reason(Status status) {
        String phrase = status.reasonPhrase();
        return phrase == null || phrase.isBlank() ? "status " + status.code() : phrase.toLowerCase(java.util.Locale.ROOT);
    }
}
