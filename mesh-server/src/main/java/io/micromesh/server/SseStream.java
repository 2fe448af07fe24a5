package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.spi.ChunkSink;
import io.micromesh.core.spi.ClientGoneException;
import io.micromesh.core.spi.Usage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The client side of a streamed answer: server-sent events, one {@code data:} event per chunk,
 * flushed at once, ending with {@code data: [DONE]}. The response is committed only at the first
 * chunk, so that a failure before it can still be answered as a plain HTTP error. A write that
 * fails means the client went away: it is reported as {@link ClientGoneException}, which makes the
 * backend cancel its upstream. Used by one request's thread only.
 */
final class SseStream implements ChunkSink {

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ServerResponse res;
    private final ServedModel model;
    private final Exchange exchange;
    private final GatewayMetrics metrics;
    private OutputStream out;
    private String id;

    SseStream(ServerResponse res, ServedModel model, Exchange exchange, GatewayMetrics metrics) {
        this.res = res;
        this.model = model;
        this.exchange = exchange;
        this.metrics = metrics;
    }

    /** Gives every chunk this id instead of the backend's (routes that learn name completions themselves). */
    SseStream withId(String completionId) {
        this.id = completionId;
        return this;
    }

    boolean started() {
        return out != null;
    }

    @Override
    public void send(ObjectNode chunk) {
        chunk.put("model", model.id());
        if (id != null) {
            chunk.put("id", id);
        }
        if (chunk.get("usage") instanceof ObjectNode usage && !usage.has("cost_usd")) {
            Charge charge = model.tariff().charge(Usage.of(usage));
            usage.put("cost_usd", charge.costUsd());
            usage.put("energy_wh", charge.energyWh());
        }
        write(event(chunk));
    }

    /** Ends a stream that went well. */
    void finish() {
        write(DONE);
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
        res.header(Responses.MESH_MODEL, model.id());
        res.header(Responses.ENERGY_METHOD, model.tariff().energyMethod().key());
        out = res.outputStream();
        metrics.firstChunk(model.id(), System.nanoTime() - exchange.startNanos());
    }

    private void close() {
        try {
            out.close();
        } catch (IOException | RuntimeException e) {
            exchange.markClientGone();
        }
    }
}
