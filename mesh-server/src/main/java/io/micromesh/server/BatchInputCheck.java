package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.api.MeshRequest;
import io.micromesh.api.Quote;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * Checks a Batch API input file before its batch starts, as OpenAI does: every line a JSON object
 * with a unique {@code custom_id}, {@code method: POST}, the batch's endpoint as {@code url}, and a
 * {@code body} that endpoint takes, naming a model or route this gateway serves. What it finds goes
 * to the batch's {@code errors}, each with its line number; a batch with any error fails whole,
 * without a request sent.
 */
final class BatchInputCheck {

    /** Errors reported at most; the count of the rest is said in the last one. */
    static final int MAX_REPORTED = 100;

    private BatchInputCheck() {
    }

    /**
     * The errors of {@code text} as batch lines for {@code endpoint}: an empty array when it can run.
     *
     * @param served      the model and route names requests may name
     * @param maxRequests lines a batch may hold at most
     */
    static ArrayNode check(String text, String endpoint, Set<String> served, int maxRequests) {
        ArrayNode errors = Json.mapper().createArrayNode();
        Set<String> ids = new HashSet<>();
        String[] lines = text.split("\n", -1);
        int requests = 0;
        int found = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            requests++;
            String problem = problem(line, i + 1, endpoint, served, ids);
            if (problem != null) {
                found++;
                if (found <= MAX_REPORTED) {
                    String[] codeAndMessage = problem.split("\\|", 2);
                    errors.add(error(codeAndMessage[0], codeAndMessage[1], i + 1));
                }
            }
        }
        if (found > MAX_REPORTED) {
            errors.add(error("too_many_errors", (found - MAX_REPORTED) + " more lines have errors; the first "
                    + MAX_REPORTED + " are listed", -1));
        }
        if (requests == 0) {
            errors.add(error("empty_file", "The input file has no requests.", -1));
        } else if (requests > maxRequests) {
            errors.add(error("too_many_requests", "The input file has " + requests + " requests; a batch takes at most "
                    + maxRequests + " (server.batches.max-requests).", -1));
        }
        return errors;
    }

    /** What is wrong with one line, as {@code code|message}, or null. */
    private static String problem(String line, int number, String endpoint, Set<String> served, Set<String> ids) {
        JsonNode node;
        try {
            node = Json.mapper().readTree(line);
        } catch (IOException e) {
            node = null;
        }
        if (node == null || !node.isObject()) {
            return "invalid_json_line|Line " + number + " is not a JSON object.";
        }
        JsonNode customId = node.path("custom_id");
        if (!customId.isTextual() || customId.asText().isBlank()) {
            return "missing_custom_id|Line " + number + " has no custom_id (a non-empty string).";
        }
        if (!ids.add(customId.asText())) {
            return "duplicate_custom_id|The custom_id '" + Quote.clip(customId.asText()) + "' of line " + number
                    + " is used by an earlier line; each request needs its own.";
        }
        if (!node.path("method").asText().equals("POST")) {
            return "invalid_method|Line " + number + ": method must be POST.";
        }
        if (!node.path("url").asText().equals(endpoint)) {
            return "mismatched_endpoint|Line " + number + ": url '" + Quote.clip(node.path("url").asText())
                    + "' is not the batch's endpoint " + endpoint + ".";
        }
        if (!node.path("body").isObject()) {
            return "invalid_body|Line " + number + ": body must be a JSON object.";
        }
        MeshRequest request;
        try {
            request = DispatchSender.parse(endpoint, (ObjectNode) node.get("body"));
        } catch (ApiException e) {
            return "invalid_body|Line " + number + ": " + e.getMessage();
        }
        if (!served.contains(request.model())) {
            return "model_not_found|Line " + number + ": the model '" + Quote.clip(request.model())
                    + "' is not a model or route of this gateway.";
        }
        return null;
    }

    private static ObjectNode error(String code, String message, int line) {
        ObjectNode error = Json.object().put("code", code).put("message", message).putNull("param");
        if (line > 0) {
            error.put("line", line);
        } else {
            error.putNull("line");
        }
        return error;
    }
}
