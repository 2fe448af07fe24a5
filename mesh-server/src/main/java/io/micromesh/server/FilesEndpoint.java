package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiError;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.api.Quote;
import io.micromesh.store.FileStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;

import java.util.Optional;

/**
 * The Files API in OpenAI's shapes: {@code POST /v1/files} (multipart {@code file} and {@code purpose:
 * batch}; the file streamed to disk, at most {@code server.max-file-bytes}), {@code GET /v1/files},
 * {@code GET /v1/files/{id}}, {@code GET /v1/files/{id}/content}, {@code DELETE /v1/files/{id}}. A file
 * belongs to the key that uploaded it: other keys get 404, as if it did not exist; the master key (and
 * everyone on a gateway without keys) sees all.
 */
final class FilesEndpoint {

    private final FileStore files;
    private final long maxBytes;

    FilesEndpoint(FileStore files, long maxBytes) {
        this.files = files;
        this.maxBytes = maxBytes;
    }

    void upload(ServerRequest req, ServerResponse res) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        req.headers().contentLength().ifPresent(length -> {
            if (length > maxBytes + 64 * 1024) {  // the form's own lines add a little
                throw ApiException.tooLarge(maxBytes);
            }
        });
        String[] purpose = new String[1];
        FileStore.StoredFile[] stored = new FileStore.StoredFile[1];
        try {
            FormParts.stream(req, "/v1/files", (name, filename, content) -> {
                switch (name) {
                    case "purpose" -> purpose[0] = new String(content.readNBytes(256), StandardCharsets.UTF_8).strip();
                    case "file" -> {
                        if (stored[0] != null) {
                            throw ApiException.invalidRequest("file", "send one 'file' part");
                        }
                        stored[0] = files.create(exchange.keyId(), filename(filename), "batch", content, maxBytes);
                    }
                    default -> content.skip(Long.MAX_VALUE);
                }
            });
        } catch (FileStore.TooLarge e) {
            throw ApiException.tooLarge(maxBytes);
        } catch (RuntimeException e) {
            if (stored[0] != null) {
                files.delete(stored[0]);
            }
            throw e;
        }
        if (stored[0] == null) {
            throw ApiException.invalidRequest("file", "'file' is required: the JSONL file of the batch's requests");
        }
        if (!"batch".equals(purpose[0])) {
            files.delete(stored[0]);
            throw ApiException.invalidRequest("purpose", purpose[0] == null ? "'purpose' is required: batch"
                    : "purpose '" + Quote.clip(purpose[0]) + "' is not served here; this gateway takes files with purpose batch");
        }
        Responses.json(res, 200, describe(stored[0]));
    }

    void list(ServerRequest req, ServerResponse res) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        List<FileStore.StoredFile> all = files.list(Exchange.seesAll(exchange.keyId())
                ? Optional.empty() : Optional.of(exchange.keyId()));
        String purpose = req.query().first("purpose").orElse(null);
        ObjectNode body = Json.object().put("object", "list");
        ArrayNode data = body.putArray("data");
        all.stream().filter(f -> purpose == null || f.purpose().equals(purpose)).forEach(f -> data.add(describe(f)));
        body.put("has_more", false);
        if (!data.isEmpty()) {
            body.put("first_id", data.get(0).path("id").asText()).put("last_id", data.get(data.size() - 1).path("id").asText());
        }
        Responses.json(res, 200, body);
    }

    void get(ServerRequest req, ServerResponse res) {
        Responses.json(res, 200, describe(owned(req)));
    }

    void content(ServerRequest req, ServerResponse res) {
        FileStore.StoredFile file = owned(req);
        res.header(HeaderNames.CONTENT_TYPE, "application/octet-stream");
        res.header(HeaderNames.CONTENT_LENGTH, String.valueOf(file.bytes()));
        try (InputStream in = Files.newInputStream(files.content(file)); OutputStream out = res.outputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void delete(ServerRequest req, ServerResponse res) {
        FileStore.StoredFile file = owned(req);
        files.delete(file);
        Responses.json(res, 200, Json.object().put("id", file.id()).put("object", "file").put("deleted", true));
    }

    /** The file of the path's id, if the caller may see it; else 404, as for a file that does not exist. */
    private FileStore.StoredFile owned(ServerRequest req) {
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        String id = req.path().pathParameters().get("id");
        return files.get(id).filter(f -> Exchange.seesAll(exchange.keyId()) || f.keyId().equals(exchange.keyId()))
                .orElseThrow(() -> new ApiException(404, new ApiError("No file with id '" + Quote.clip(id) + "'.",
                        "invalid_request_error", "id", "file_not_found")));
    }

    private static ObjectNode describe(FileStore.StoredFile f) {
        return Json.object().put("id", f.id()).put("object", "file").put("bytes", f.bytes())
                .put("created_at", f.created().getEpochSecond()).put("filename", f.filename()).put("purpose", f.purpose())
                .put("status", "processed");
    }

    /** A file name as the client gave it, without folders, printable, at most 200 characters. */
    private static String filename(String given) {
        String name = given == null ? "upload.jsonl" : given.replaceAll(".*[/\\\\]", "").replaceAll("\\p{Cntrl}", "");
        return name.isBlank() ? "upload.jsonl" : name.length() > 200 ? name.substring(0, 200) : name;
    }
}
