package io.micromesh.jobs.task;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * A micro-model step of a task: a small piece of Java (a classifier on the in-process encoder, a
 * rule) that runs on each record before the model, or instead of it when it is sure enough.
 * Thread-safe: a job runs many records at once.
 */
public interface Step {

    /** What a step produced for one record. */
    record Result(JsonNode value, double confidence) {
    }

    /**
     * Runs on one record.
     *
     * @param context the record's fields and the values of the steps before this one, by name
     */
    Result apply(Map<String, Object> context);
}
