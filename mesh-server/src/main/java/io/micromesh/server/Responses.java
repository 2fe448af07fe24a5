package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.core.dispatch.Outcome;
import io.micromesh.core.dispatch.Served;

/** Writing JSON answers, the {@code x-mesh-*} headers and OpenAI-shaped errors. */
final class Responses {

    static final HeaderName REQUEST_ID = HeaderNames.create("x-request-id");
    static final HeaderName MESH_MODEL = HeaderNames.create("x-mesh-model");
    static final HeaderName ENERGY_METHOD = HeaderNames.create("x-mesh-energy-method");
    static final HeaderName MESH_ROUTE = HeaderNames.create("x-mesh-route");
    static final HeaderName MESH_CASCADE = HeaderNames.create("x-mesh-cascade");
    static final HeaderName MESH_TASK = HeaderNames.create("x-mesh-task");
    static final HeaderName MESH_CACHE = HeaderNames.create("x-mesh-cache");
    static final String JSON = "application/json";

    private Responses() {
    }

    static void json(ServerResponse res, int status, JsonNode body) {
        json(res, status, Json.bytes(body));
    }

    static void json(ServerResponse res, int status, byte[] body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, JSON);
        res.send(body);
    }

    /** Sets the headers that say who served an answer, and why. */
    static void served(ServerResponse res, Served served) {
        served.routing().ifPresent(routing -> res.header(MESH_ROUTE, routing));
        served.cascade().ifPresent(cascade -> res.header(MESH_CASCADE, cascade));
        if (!served.cache().isEmpty()) {
            res.header(MESH_CACHE, served.cache());
        }
        res.header(MESH_MODEL, served.model());
        res.header(ENERGY_METHOD, served.energyMethod().key());
    }

    /** The error to answer for a request that failed, with the route's account of its last try set. */
    static ApiException failed(ServerResponse res, Outcome.Failed failed) {
        failed.lastTried().flatMap(Served::routing).ifPresent(routing -> res.header(MESH_ROUTE, routing));
        return Failures.toApi(failed.failure());
    }

    static void error(ServerResponse res, ApiException e) {
        error(res, e, false);
    }

    /**
     * Settles a whole answer's outcome: the answer, or the failure thrown as the error to send. The one
     * place for what a dispatched whole answer ends as, whichever endpoint sent it.
     */
    static Outcome.Answered answered(Outcome outcome, ServerResponse res, Exchange exchange) {
        exchange.settle(outcome);
        return switch (outcome) {
            case Outcome.Answered answered -> answered;
            case Outcome.Failed failed -> throw failed(res, failed);
            default -> throw new IllegalStateException("a whole answer ended as " + outcome);
        };
    }

    /**
     * Settles a stream's outcome, the one place for what a dispatched stream ends as: true when it went
     * well (the caller ends it its way: chat's {@code [DONE]}, the Responses API's last event); false
     * when it broke after it started (then {@code failLate} told the client). A failure before anything
     * was sent is thrown as the error to answer; a client gone closes the connection, so that the
     * server does not flush the stream's end into a dead one (a failure its error handling logs).
     *
     * @param started  whether anything was sent
     * @param failLate ends a stream that broke after it started, in the stream's own form
     */
    static boolean streamWentWell(Outcome outcome, boolean started, java.util.function.Consumer<ApiException> failLate,
                                  ServerResponse res, Exchange exchange) {
        exchange.settle(outcome);
        switch (outcome) {
            case Outcome.Streamed streamed -> {
                if (streamed.usage().status().equals(io.micromesh.core.accounting.UsageRecord.CLIENT_GONE)) {
                    exchange.markClientGone();
                    throw new io.helidon.webserver.CloseConnectionException("the client left mid-stream");
                }
                return true;
            }
            case Outcome.Failed failed -> {
                if (!started) {
                    throw failed(res, failed);
                }
                failLate.accept(Failures.toApi(failed.failure()));
                return false;
            }
            default -> throw new IllegalStateException("a stream ended as " + outcome);
        }
    }

    /**
     * The error answer to a request: to a HEAD request its status and headers only, and with
     * {@code Connection: close} when the request's body was not read (the connection closes after it).
     */
    static void error(ServerRequest req, ServerResponse res, ApiException e) {
        if (req.content().hasEntity() && !req.content().consumed()) {
            res.header(HeaderNames.CONNECTION, "close");
            ConnectionWatch.answeredWithBodyUnread();
        }
        error(res, e, req.prologue().method() == Method.HEAD);
    }

    /** An error answer; to a HEAD request, its status and headers only. */
    static void error(ServerResponse res, ApiException e, boolean head) {
        if (res.isSent()) {
            return;
        }
        e.headers().forEach(res::header);
        if (head) {
            res.status(e.status());
            res.header(HeaderNames.CONTENT_TYPE, JSON);
            res.send();
            return;
        }
        json(res, e.status(), e.error().toJson());
    }

    /** A JSON answer; to a HEAD request, its status and headers only. */
    static void reply(ServerRequest req, ServerResponse res, int status, JsonNode body) {
        if (req.prologue().method() == Method.HEAD) {
            res.status(status);
            res.header(HeaderNames.CONTENT_TYPE, JSON);
            res.send();
            return;
        }
        json(res, status, body);
    }
}
