package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiError;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.api.Quote;
import io.micromesh.jobs.InputLines;
import io.micromesh.store.BatchStore;
import io.micromesh.store.BatchStore.Batch;
import io.micromesh.store.BatchStore.Status;
import io.micromesh.store.FileStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Batch API in OpenAI's shapes: {@code POST /v1/batches} ({@code input_file_id}, {@code endpoint},
 * {@code completion_window}, {@code metadata}), {@code GET /v1/batches/{id}}, {@code GET /v1/batches}
 * (newest first, paged with {@code after} and {@code limit}), {@code POST /v1/batches/{id}/cancel};
 * and micromesh's {@code POST /v1/batches/{id}/resume} for a batch its key's budget stopped. A batch
 * belongs to the key that created it: other keys get 404. The work is {@link Batches}'.
 */
final class BatchesEndpoint {

    /** A completion window: OpenAI's {@code 24h}, or any hours or minutes up to a week. */
    private static final Pattern WINDOW = Pattern.compile("([1-9][0-9]{0,4})([hm])");
    private static final Duration LONGEST_WINDOW = Duration.ofDays(7);

    private final Batches batches;
    private final BatchStore store;
    private final FileStore files;
    private final RequestBodies bodies;

    BatchesEndpoint(Batches batches, BatchStore store, FileStore files, RequestBodies bodies) {
        this.batches = batches;
        this.store = store;
        this.files = files;
        this.bodies = bodies;
    }

    void create(ServerRequest req, ServerResponse res) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        ObjectNode body = Json.parseObject(bodies.read(req));
        String inputFileId = text(body, "input_file_id");
        String endpoint = text(body, "endpoint");
        if (!InputLines.URLS.contains(endpoint)) {
            throw ApiException.invalidRequest("endpoint", "endpoint '" + Quote.clip(endpoint) + "' is not served in batches;"
                    + " one of /v1/chat/completions, /v1/completions, /v1/embeddings");
        }
        String completionWindow = text(body, "completion_window");
        Duration window = window(completionWindow);
        String metadata = metadata(body.get("metadata"));
        FileStore.StoredFile input = files.get(inputFileId)
                .filter(f -> Exchange.seesAll(exchange.keyId()) || f.keyId().equals(exchange.keyId()))
                .orElseThrow(() -> new ApiException(400, new ApiError("No file with id '" + Quote.clip(inputFileId) + "'.",
                        "invalid_request_error", "input_file_id", "file_not_found")));
        if (!input.purpose().equals("batch")) {
            throw ApiException.invalidRequest("input_file_id", "The file " + input.id() + " has purpose " + input.purpose()
                    + "; a batch's input needs purpose batch.");
        }
        Batch batch = batches.create(exchange.keyId(), input, endpoint, completionWindow, window, metadata);
        Responses.json(res, 200, describe(batch));
    }

    void get(ServerRequest req, ServerResponse res) {
        Responses.json(res, 200, describe(owned(req)));
    }

    void list(ServerRequest req, ServerResponse res) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        int limit = limit(req.query().first("limit").orElse(null));
        String after = req.query().first("after").orElse(null);
        List<Batch> page = store.list(Exchange.seesAll(exchange.keyId()) ? Optional.empty() : Optional.of(exchange.keyId()),
                after, limit + 1);
        boolean more = page.size() > limit;
        page = more ? page.subList(0, limit) : page;
        ObjectNode body = Json.object().put("object", "list");
        ArrayNode data = body.putArray("data");
        page.forEach(b -> data.add(describe(b)));
        body.put("has_more", more);
        if (page.isEmpty()) {
            body.putNull("first_id").putNull("last_id");
        } else {
            body.put("first_id", page.get(0).id()).put("last_id", page.get(page.size() - 1).id());
        }
        Responses.json(res, 200, body);
    }

    void cancel(ServerRequest req, ServerResponse res) {
        Batch batch = owned(req);
        if (!batches.cancel(batch)) {
            throw new ApiException(400, new ApiError("The batch " + batch.id() + " is " + batch.status().wire()
                    + "; only a batch that is validating or in progress can be cancelled.", "invalid_request_error", null,
                    "batch_not_cancellable"));
        }
        Responses.json(res, 200, describe(store.get(batch.id()).orElseThrow()));
    }

    void resume(ServerRequest req, ServerResponse res) {
        Batch batch = owned(req);
        if (!batches.resume(batch)) {
            throw new ApiException(400, new ApiError("The batch " + batch.id() + " is " + batch.status().wire()
                    + "; only a batch its key's budget stopped (failed with budget_exceeded) can be resumed, on the gateway"
                    + " that ran it.", "invalid_request_error", null, "batch_not_resumable"));
        }
        Responses.json(res, 200, describe(store.get(batch.id()).orElseThrow()));
    }

    /** The batch of the path's id, if the caller may see it; else 404, as for one that does not exist. */
    private Batch owned(ServerRequest req) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        String id = req.path().pathParameters().get("id");
        return store.get(id).filter(b -> Exchange.seesAll(exchange.keyId()) || b.keyId().equals(exchange.keyId()))
                .orElseThrow(() -> new ApiException(404, new ApiError("No batch with id '" + Quote.clip(id) + "'.",
                        "invalid_request_error", "id", "batch_not_found")));
    }

    /** A batch in OpenAI's shape, with micromesh's {@code cost_usd} and {@code energy_wh} of its requests so far. */
    static ObjectNode describe(Batch b) {
        ObjectNode o = Json.object().put("id", b.id()).put("object", "batch").put("endpoint", b.endpoint());
        if (b.errors() == null) {
            o.putNull("errors");
        } else {
            ObjectNode errors = o.putObject("errors").put("object", "list");
            errors.set("data", parse(b.errors()));
        }
        o.put("input_file_id", b.inputFileId()).put("completion_window", b.completionWindow()).put("status", b.status().wire());
        o.put("output_file_id", b.outputFileId()).put("error_file_id", b.errorFileId());
        o.put("created_at", b.created().getEpochSecond());
        time(o, "in_progress_at", b, Status.IN_PROGRESS);
        o.put("expires_at", b.expires().getEpochSecond());
        for (Status s : List.of(Status.FINALIZING, Status.COMPLETED, Status.FAILED, Status.EXPIRED, Status.CANCELLING,
                Status.CANCELLED)) {
            time(o, s.wire() + "_at", b, s);
        }
        o.putObject("request_counts").put("total", b.counts().total()).put("completed", b.counts().completed())
                .put("failed", b.counts().failed());
        if (b.metadata() == null) {
            o.putNull("metadata");
        } else {
            o.set("metadata", parse(b.metadata()));
        }
        o.put("cost_usd", b.counts().costUsd()).put("energy_wh", b.counts().energyWh());
        return o;
    }

    private static void time(ObjectNode o, String field, Batch b, Status status) {
        Instant at = b.times().get(status);
        if (at == null) {
            o.putNull(field);
        } else {
            o.put(field, at.getEpochSecond());
        }
    }

    private static JsonNode parse(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("the store holds JSON it did not write: " + e.getMessage(), e);
        }
    }

    private static String text(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            throw ApiException.invalidRequest(field, "'" + field + "' is required.");
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw ApiException.invalidRequest(field, "'" + field + "' must be a non-empty string.");
        }
        return value.asText();
    }

    private static Duration window(String text) {
        Matcher m = WINDOW.matcher(text);
        Duration window = m.matches() ? (m.group(2).equals("h") ? Duration.ofHours(Long.parseLong(m.group(1)))
                : Duration.ofMinutes(Long.parseLong(m.group(1)))) : null;
        if (window == null || window.compareTo(LONGEST_WINDOW) > 0) {
            throw ApiException.invalidRequest("completion_window", "completion_window '" + Quote.clip(text) + "' is not"
                    + " allowed; 24h (or a number of hours or minutes up to a week, such as 2h or 30m)");
        }
        return window;
    }

    /** The metadata as OpenAI takes it: at most 16 pairs, keys up to 64 characters, string values up to 512. */
    private static String metadata(JsonNode metadata) {
        if (metadata == null || metadata.isNull()) {
            return null;
        }
        if (!metadata.isObject() || metadata.size() > 16) {
            throw ApiException.invalidRequest("metadata", "'metadata' must be an object of at most 16 string values.");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = metadata.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().length() > 64 || !e.getValue().isTextual() || e.getValue().asText().length() > 512) {
                throw ApiException.invalidRequest("metadata", "metadata '" + Quote.clip(e.getKey()) + "': keys are at most 64"
                        + " characters and values strings of at most 512.");
            }
        }
        return Json.string(metadata);
    }

    private static int limit(String text) {
        if (text == null) {
            return 20;
        }
        try {
            int limit = Integer.parseInt(text.strip());
            if (limit >= 1 && limit <= 100) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalidRequest("limit", "'limit' must be a whole number from 1 to 100.");
    }
}
