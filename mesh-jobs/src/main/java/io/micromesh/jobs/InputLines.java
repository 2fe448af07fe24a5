package io.micromesh.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a job's input: OpenAI batch lines ({@code custom_id}, {@code method}, {@code url},
 * {@code body}) or, for a task, plain JSON records with an {@code id}. Every non-blank line becomes
 * one {@link JobItem}; a line that cannot run (not JSON, no id, a repeated id, a wrong method or
 * url) becomes an item with its error, so that it still yields its one output line.
 */
public final class InputLines {

    /** The API paths a batch-file line may name. */
    public static final Set<String> URLS = Set.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings");

    private InputLines() {
    }

    /**
     * The items of an OpenAI batch file.
     *
     * @throws IllegalArgumentException when the text has no line at all
     */
    public static List<JobItem> batchFile(String text) {
        return numbered(text, (number, s, ids) -> {
            JsonNode node = parseObject(s);
            if (node == null) {
                return new JobItem(number, "line-" + number, null, null, null, "line " + number + " is not a JSON object");
            }
            String id = node.path("custom_id").isTextual() ? node.path("custom_id").asText() : null;
            String key = id == null ? "line-" + number : id;
            String problem = null;
            if (id == null || id.isBlank()) {
                problem = "line " + number + " has no custom_id";
            } else if (!ids.add(id)) {
                problem = "custom_id '" + id + "' of line " + number + " is used by an earlier line";
                key = id + "#line-" + number;
            } else if (!node.path("method").asText("POST").equals("POST")) {
                problem = "line " + number + ": method must be POST";
            } else if (!URLS.contains(node.path("url").asText())) {
                problem = "line " + number + ": url must be one of " + URLS;
            } else if (!node.path("body").isObject()) {
                problem = "line " + number + ": body must be an object";
            }
            return new JobItem(number, key, node.path("url").asText(), problem == null ? (ObjectNode) node.get("body") : null,
                    null, problem);
        });
    }

    /**
     * The items of a task's input: JSON records with an {@code id} (text or number).
     *
     * @throws IllegalArgumentException when the text has no line at all
     */
    public static List<JobItem> records(String text) {
        return numbered(text, (number, s, ids) -> {
            JsonNode record = parseObject(s);
            String id = record != null && (record.path("id").isTextual() || record.path("id").isNumber())
                    ? record.path("id").asText() : null;
            String key = id == null ? "line-" + number : ids.add(id) ? id : id + "#line-" + number;
            String problem = record == null ? "line " + number + " is not a JSON object"
                    : id == null ? "line " + number + " has no id"
                    : !key.equals(id) ? "id '" + id + "' of line " + number + " is used by an earlier line" : null;
            return new JobItem(number, key, "/v1/chat/completions", null, problem == null ? record : null, problem);
        });
    }

    /** Reads one non-blank input line (its 1-based number and stripped text); {@code ids} holds the ids seen so far. */
    private interface LineReader {
        JobItem read(int number, String text, Set<String> ids);
    }

    private static List<JobItem> numbered(String text, LineReader reader) {
        List<JobItem> items = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        String[] raw = text.split("\n", -1);
        for (int i = 0; i < raw.length; i++) {
            String s = raw[i].strip();
            if (!s.isEmpty()) {
                items.add(reader.read(i + 1, s, ids));
            }
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException("the input has no lines");
        }
        return items;
    }

    static JsonNode parseObject(String text) {
        try {
            JsonNode node = Json.mapper().readTree(text);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }
}
