package io.micromesh.jobs.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.jobs.JobItem;
import io.micromesh.store.Journal;
import java.io.IOException;

/**
 * The records of batch work over Kafka, JSON in UTF-8. An item: {@code {"job", "line", "id", "url",
 * "body"}} (a batch line) or {@code {"job", "line", "id", "record"}} (a task's record), keyed
 * {@code JOB/LINE}. A job: {@code {"job", "items", "lines", "task": {"text", "route"}}} ({@code task}
 * null for batch lines), keyed by the job's id. A result: {@code {"job", "line", "id", "result", "failed",
 * "attempts", "cost_usd", "energy_wh", "worker"}} under the same key, where {@code result} is the
 * item's output line (an OpenAI batch output line) as text.
 */
public final class Messages {

    private Messages() {
    }

    /** The key of an item and of its result. */
    public static String key(String job, int line) {
        return job + "/" + line;
    }

    /** An item's record. */
    public static String item(String job, JobItem item) {
        ObjectNode o = Json.object().put("job", job).put("line", item.line()).put("id", item.key());
        if (item.record() != null) {
            o.set("record", item.record());
        } else {
            o.put("url", item.url());
            o.set("body", item.body());
        }
        return Json.string(o);
    }

    /**
     * A job's task as workers receive it.
     *
     * @param text  the task file's YAML text
     * @param route the route that answers its prompt instead of the task's own, or null
     */
    public record TaskSpec(String text, String route) {
    }

    /** A job's record. */
    public static String job(String job, int items, int lines, TaskSpec task) {
        ObjectNode o = Json.object().put("job", job).put("items", items).put("lines", lines);
        if (task == null) {
            o.putNull("task");
        } else {
            o.putObject("task").put("text", task.text()).put("route", task.route());
        }
        return Json.string(o);
    }

    /** The task of a job's record, or null for a job of batch lines. */
    public static TaskSpec readTask(String value) {
        JsonNode job = parse(value);
        JsonNode task = job == null ? null : job.path("task");
        return task == null || !task.path("text").isTextual() ? null
                : new TaskSpec(task.path("text").asText(), task.path("route").isTextual() ? task.path("route").asText() : null);
    }

    /**
     * A result as read back.
     *
     * @param result the output line
     */
    public record Result(String job, int line, String id, String result, boolean failed, int attempts, double costUsd,
                         double energyWh, String worker) {

        /** As journaled. */
        public Journal.Completion completion() {
            return new Journal.Completion(line, result, attempts, costUsd, energyWh, failed);
        }
    }

    /** A result's record. */
    public static String result(String job, int line, String id, Journal.Completion done, String worker) {
        return Json.string(Json.object().put("job", job).put("line", line).put("id", id).put("result", done.result())
                .put("failed", done.failed()).put("attempts", done.attempts()).put("cost_usd", done.costUsd())
                .put("energy_wh", done.energyWh()).put("worker", worker));
    }

    /** Reads a result's record, or null when it is not one. */
    public static Result readResult(String value) {
        JsonNode o = parse(value);
        if (o == null || !o.path("job").isTextual() || !o.path("line").canConvertToInt() || !o.path("result").isTextual()) {
            return null;
        }
        return new Result(o.path("job").asText(), o.path("line").asInt(), o.path("id").asText(), o.path("result").asText(),
                o.path("failed").asBoolean(), o.path("attempts").asInt(), o.path("cost_usd").asDouble(),
                o.path("energy_wh").asDouble(), o.path("worker").asText());
    }

    /**
     * Reads an item's record.
     *
     * @throws IllegalArgumentException naming what is wrong, when it is not an item
     */
    public static JobItem readItem(String value) {
        JsonNode o = parse(value);
        if (o == null) {
            throw new IllegalArgumentException("the record is not a JSON object");
        }
        if (!o.path("job").isTextual() || !o.path("line").canConvertToInt() || !o.path("id").isTextual()) {
            throw new IllegalArgumentException("the record has no job, line and id");
        }
        if (o.path("record").isObject()) {
            return new JobItem(o.path("line").asInt(), o.path("id").asText(), "/v1/chat/completions", null, o.get("record"), null);
        }
        if (!o.path("body").isObject() || !o.path("url").isTextual()) {
            throw new IllegalArgumentException("the record has no url and body object");
        }
        return new JobItem(o.path("line").asInt(), o.path("id").asText(), o.path("url").asText(), (ObjectNode) o.get("body"),
                null, null);
    }

    static JsonNode parse(String value) {
        if (value == null) {
            return null;
        }
        try {
            JsonNode node = Json.mapper().readTree(value);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }
}
