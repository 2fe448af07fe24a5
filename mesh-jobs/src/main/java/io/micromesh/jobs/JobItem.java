package io.micromesh.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One input line of a job, ready to run or already an error.
 *
 * @param line   its 1-based line number in the input (blank lines count)
 * @param key    its {@code custom_id} (batch files) or {@code id} (task records); a line without one,
 *               or with one an earlier line already used, gets a key of its own that says so
 * @param url    the API path of a batch-file line ({@code /v1/chat/completions} ...); tasks use chat
 * @param body   the request of a batch-file line, or null
 * @param record the JSON record of a task line, or null
 * @param error  why the line cannot run, or null; it becomes the item's error line
 */
public record JobItem(int line, String key, String url, ObjectNode body, JsonNode record, String error) {

    /** Whether the line can run. */
    public boolean valid() {
        return error == null;
    }
}
