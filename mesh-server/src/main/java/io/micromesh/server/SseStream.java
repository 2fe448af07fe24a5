package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.core.dispatch.ClientStream;
import io.micromesh.core.dispatch.Served;
import io.micromesh.core.spi.ClientGoneException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The client side of a streamed answer: server-sent events, one {@code data:} event per chunk,
 * flushed at once, ending with {@code data: [DONE]}. The response is committed only at the first
 * chunk, so that a failure before it can still be answered as a plain HTTP error (and the route's
 * next model can still take the request). A write that fails means the client went away: it is
 * reported as {@link ClientGoneException}, which makes the backend cancel its upstream. Used by one
 * request's thread only.
 */
final class SseStream implements ClientStream {

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ServerResponse res;
    private final Exchange exchange;
    private Served served;
    private OutputStream out;

    SseStream(ServerResponse res, Exchange exchange) {
        this.res = res;
        this.exchange = exchange;
    }

    boolean started() {
        return out != null;
    }

    @Override
    public void attempt(Served next) {
        served = next;
        next.routing().ifPresent(routing -> res.header(Responses.MESH_ROUTE, routing));
        next.cascade().ifPresent(cascade -> res.header(Responses.MESH_CASCADE, cascade));
        if (!next.cache().isEmpty()) {
            res.header(Responses.MESH_CACHE, next.cache());
        }
    }

    @Override
    public void send(ObjectNode chunk) {
        write(event(chunk));
    }

    /** Sends a named event ({@code event: TYPE}, then its data): the Responses API's stream. */
    void sendEvent(String type, JsonNode data) {
        byte[] name = ("event: " + type + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = event(data);
        byte[] both = new byte[name.length + body.length];
        System.arraycopy(name, 0, both, 0, name.length);
        System.arraycopy(body, 0, both, name.length, body.length);
        write(both);
    }

    /** Ends a stream of named events (which has no {@code [DONE]}). */
    void end() {
        close();
    }

    /** Ends a stream that went well. */
    void finish() {
        try {
            write(DONE);
        } catch (ClientGoneException gone) {
            // the client left just before the end: the answer is over either way
        }
        close();
    }

    /** Ends a stream that broke after it started: an error event, and no {@code [DONE]}. */
    void fail(ApiException e) {
        try {
            write(event(e.error().toJson()));
        } catch (ClientGoneException gone) {
            // nobody left to tell
        }
        close();
    }

    private static byte[] event(JsonNode data) {
        byte[] json = Json.bytes(data);
        byte[] event = new byte[DATA.length + json.length + 2];
        System.arraycopy(DATA, 0, event, 0, DATA.length);
        System.arraycopy(json, 0, event, DATA.length, json.length);
        event[event.length - 2] = '\n';
        event[event.length - 1] = '\n';
        return event;
    }

    private void write(byte[] bytes) {
        try {
            if (out == null) {
                open();
            }
            out.write(bytes);
            out.flush();
        } catch (IOException | RuntimeException e) {
            exchange.markClientGone();
            throw new ClientGoneException(e);
        }
    }

    private void open() {
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        if (served != null) {
            res.header(Responses.MESH_MODEL, served.model());
            res.header(Responses.ENERGY_METHOD, served.energyMethod().key());
        }
        out = res.outputStream();
    }

    private void close() {
        try {
            out.close();
        } catch (IOException | RuntimeException e) {
            exchange.markClientGone();
        }
    }
}
