package io.micromesh.cli.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.jobs.JobItem;
import io.micromesh.jobs.JobProgress;
import io.micromesh.store.Journal;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a batch file through a gateway's Batch API ({@code mesh batch run --url --via-batch-api}):
 * uploads it ({@code POST /v1/files}), creates a batch ({@code POST /v1/batches}), follows it
 * ({@code GET /v1/batches/{id}}) with the job's progress, then downloads its output and error files
 * and merges them into one line per input line, in input order. The gateway's own journaled engine
 * does the work: this client may be stopped at any moment and run again with {@code --resume}, which
 * follows the same batch (its id is kept in {@code OUTPUT.batch}) instead of submitting it again.
 */
public final class BatchApiClient {

    /** How a batch ended, as this client saw it. */
    public sealed interface Ended {
        /** Completed, cancelled or expired: the output holds one line per input line. */
        record Written(String status, List<Journal.Item> items) implements Ended {
        }

        /** Failed: its errors, one per line, and whether a resume may finish it (its key's budget stopped it). */
        record Failed(List<String> errors, boolean resumable) implements Ended {
        }
    }

    /** Why the gateway or the connection refused; the message says what happened. */
    public static final class ApiFailure extends RuntimeException {
        ApiFailure(String message) {
            super(message, null, false, false);
        }
    }

    private final URI base;
    private final String apiKey;
    private final HttpClient http;
    private final Duration pollEvery;

    /** @param base the gateway's base URL, ending in {@code /v1} */
    public BatchApiClient(URI base, String apiKey, Duration pollEvery) {
        this.base = base;
        this.apiKey = apiKey;
        this.pollEvery = pollEvery;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** The sidecar file that keeps the id of the batch an output belongs to. */
    public static Path sidecar(Path output) {
        return output.resolveSibling(output.getFileName() + ".batch");
    }

    /**
     * Submits {@code input} as a new batch (or, when {@code OUTPUT.batch} names one, follows that),
     * waits for it to end and writes {@code output}.
     *
     * @param items the input's lines, for their order
     */
    public Ended run(Path input, List<JobItem> items, Path output, boolean resume, JobProgress progress)
            throws InterruptedException {
        Path sidecar = sidecar(output);
        String batchId;
        if (Files.exists(sidecar)) {
            if (!resume) {
                throw new ApiFailure("a batch of an earlier run is recorded in " + sidecar + "; add --resume to follow it, or"
                        + " delete it (and the output) to submit the input again");
            }
            batchId = read(sidecar).strip();
        } else {
            batchId = submit(input);
            write(sidecar, batchId + "\n");
        }
        JsonNode batch = get(batchId);
        if (resume && batch.path("status").asText().equals("failed") && budgetStopped(batch)) {
            batch = send(HttpRequest.newBuilder(uri("/batches/" + batchId + "/resume")).POST(HttpRequest.BodyPublishers.noBody()));
        }
        long doneBefore = done(batch);
        double costBefore = batch.path("cost_usd").asDouble();
        double energyBefore = batch.path("energy_wh").asDouble();
        progress.started(snapshot(batch, doneBefore, costBefore, energyBefore));
        while (!over(batch)) {
            Thread.sleep(pollEvery.toMillis());
            batch = get(batchId);
            progress.update(snapshot(batch, doneBefore, costBefore, energyBefore));
        }
        progress.finished(snapshot(batch, doneBefore, costBefore, energyBefore));
        String status = batch.path("status").asText();
        if (status.equals("failed")) {
            List<String> errors = new ArrayList<>();
            batch.path("errors").path("data").forEach(e -> errors.add((e.path("line").isNumber() ? "line " + e.path("line").asInt()
                    + ": " : "") + e.path("message").asText() + " (" + e.path("code").asText() + ")"));
            return new Ended.Failed(errors, budgetStopped(batch));
        }
        Map<String, String> lines = new HashMap<>();
        Map<String, Boolean> failed = new HashMap<>();
        download(batch.path("output_file_id"), lines, failed, false);
        download(batch.path("error_file_id"), lines, failed, true);
        List<Journal.Item> merged = new ArrayList<>();
        for (JobItem item : items) {
            String line = lines.get(item.key());
            if (line == null) {
                ObjectNode missing = Json.object().put("id", "batch_req_" + item.line()).put("custom_id", item.key())
                        .putNull("response");
                missing.putObject("error").put("code", "missing_result").put("message", "the batch " + batchId + " ended "
                        + status + " without a line for this custom_id");
                merged.add(new Journal.Item(item.line(), item.key(), true, Json.string(missing), true, 0));
            } else {
                merged.add(new Journal.Item(item.line(), item.key(), true, line, failed.get(item.key()), 0));
            }
        }
        io.micromesh.jobs.OutputFile.write(output, merged);
        return new Ended.Written(status, merged);
    }

    private static boolean budgetStopped(JsonNode batch) {
        for (JsonNode e : batch.path("errors").path("data")) {
            if (e.path("code").asText().equals("budget_exceeded")) {
                return true;
            }
        }
        return false;
    }

    private static boolean over(JsonNode batch) {
        return switch (batch.path("status").asText()) {
            case "completed", "failed", "cancelled", "expired" -> true;
            default -> false;
        };
    }

    private static long done(JsonNode batch) {
        return batch.path("request_counts").path("completed").asLong() + batch.path("request_counts").path("failed").asLong();
    }

    private static JobProgress.Snapshot snapshot(JsonNode batch, long doneBefore, double costBefore, double energyBefore) {
        return new JobProgress.Snapshot(done(batch), batch.path("request_counts").path("total").asLong(), doneBefore, 0,
                batch.path("cost_usd").asDouble() - costBefore, batch.path("energy_wh").asDouble() - energyBefore);
    }

    /** Uploads the input as a multipart form, streamed from the file, and creates the batch. */
    private String submit(Path input) {
        String boundary = "mesh-" + Long.toHexString(System.nanoTime());
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + input.getFileName().toString()
                .replaceAll("[\"\\r\\n]", "_") + "\"\r\nContent-Type: application/jsonl\r\n\r\n";
        HttpRequest.BodyPublisher file;
        try {
            file = HttpRequest.BodyPublishers.ofFile(input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode uploaded = send(HttpRequest.newBuilder(uri("/files")).header("Content-Type", "multipart/form-data; boundary="
                + boundary).POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofString(head), file,
                HttpRequest.BodyPublishers.ofString("\r\n--" + boundary + "--\r\n"))));
        ObjectNode create = Json.object().put("input_file_id", uploaded.path("id").asText()).put("endpoint", endpointOf(input))
                .put("completion_window", "24h");
        create.putObject("metadata").put("submitted_by", "mesh batch run").put("input", input.getFileName().toString());
        return send(HttpRequest.newBuilder(uri("/batches")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.string(create)))).path("id").asText();
    }

    /** The endpoint of a batch file: its first line's url (a batch has one endpoint; the gateway checks every line). */
    private static String endpointOf(Path input) {
        try (BufferedReader lines = Files.newBufferedReader(input)) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (!line.isBlank()) {
                    JsonNode first = Json.mapper().readTree(line);
                    return first != null && first.path("url").isTextual() ? first.path("url").asText() : "/v1/chat/completions";
                }
            }
        } catch (IOException e) {
            // the gateway reports the line
        }
        return "/v1/chat/completions";
    }

    private void download(JsonNode fileId, Map<String, String> lines, Map<String, Boolean> failed, boolean errors) {
        if (!fileId.isTextual()) {
            return;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/files/" + fileId.asText() + "/content")).GET();
        authorize(request);
        try {
            HttpResponse<InputStream> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader in = new BufferedReader(new InputStreamReader(answer.body(), StandardCharsets.UTF_8))) {
                if (answer.statusCode() != 200) {
                    throw new ApiFailure(base + " answered HTTP " + answer.statusCode() + " for file " + fileId.asText());
                }
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.isBlank()) {
                        String id = Json.mapper().readTree(line).path("custom_id").asText();
                        lines.put(id, line);
                        failed.put(id, errors);
                    }
                }
            }
        } catch (IOException e) {
            throw new ApiFailure("cannot download file " + fileId.asText() + " from " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiFailure("interrupted");
        }
    }

    private JsonNode get(String batchId) {
        return send(HttpRequest.newBuilder(uri("/batches/" + batchId)).GET());
    }

    private JsonNode send(HttpRequest.Builder request) {
        authorize(request);
        HttpResponse<String> answer;
        try {
            answer = http.send(request.timeout(Duration.ofMinutes(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ApiFailure("cannot reach " + base + ": " + (e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiFailure("interrupted");
        }
        JsonNode body = parse(answer.body());
        if (answer.statusCode() != 200) {
            String message = body.path("error").path("message").asText(answer.body());
            throw new ApiFailure(base + " answered HTTP " + answer.statusCode() + ": " + message);
        }
        return body;
    }

    private void authorize(HttpRequest.Builder request) {
        Optional.ofNullable(apiKey).filter(k -> !k.isBlank()).ifPresent(k -> request.header("Authorization", "Bearer " + k));
    }

    private URI uri(String path) {
        return URI.create(base + path);
    }

    private static JsonNode parse(String text) {
        try {
            JsonNode node = Json.mapper().readTree(text);
            return node == null ? Json.object() : node;
        } catch (IOException e) {
            return Json.object();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

}
