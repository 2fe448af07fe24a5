package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiError;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.api.Quote;
import io.micromesh.jobs.docs.DocumentStore;
import io.micromesh.store.DocumentIndex;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * The document store over HTTP: {@code POST /v1/documents} (multipart {@code file}: a PDF, text or
 * Markdown file, converted once — the same content uploaded again is served from the store) and
 * {@code GET /v1/documents/{id}} (its Markdown, pages and their classification). Documents are
 * addressed by their content, so they are shared: an id names a content, which only those who have
 * it can know.
 */
final class DocumentsEndpoint {

    private final DocumentStore store;
    private final Path uploads;
    private final long maxBytes;

    DocumentsEndpoint(DocumentStore store, Path uploads, long maxBytes) {
        this.store = store;
        this.uploads = uploads;
        this.maxBytes = maxBytes;
    }

    void upload(ServerRequest req, ServerResponse res) {
        req.headers().contentLength().ifPresent(length -> {
            if (length > maxBytes + 64 * 1024) {
                throw ApiException.tooLarge(maxBytes);
            }
        });
        Path[] received = new Path[1];
        try {
            FormParts.stream(req, "/v1/documents", (name, filename, content) -> {
                if (!name.equals("file")) {
                    content.skip(Long.MAX_VALUE);
                    return;
                }
                if (received[0] != null) {
                    throw ApiException.invalidRequest("file", "send one 'file' part");
                }
                received[0] = save(filename, content);
            });
            if (received[0] == null) {
                throw ApiException.invalidRequest("file", "'file' is required: a PDF, text or Markdown file");
            }
            DocumentStore.Ingested ingested = store.ingest(received[0]);
            switch (ingested) {
                case DocumentStore.Ingested.Failed failed -> throw new ApiException(400, new ApiError("The document cannot be"
                        + " converted: " + failed.reason() + ".", "invalid_request_error", "file", "invalid_document"));
                case DocumentStore.Ingested.Converted c -> Responses.json(res, 200, describe(c.document(), "converted", false));
                case DocumentStore.Ingested.Reused r -> Responses.json(res, 200, describe(r.document(), "reused", false));
            }
        } finally {
            if (received[0] != null) {
                try {
                    Files.deleteIfExists(received[0]);
                } catch (IOException e) {
                    // a leftover upload is garbage in the state folder, not a failure of the request
                }
            }
        }
    }

    void get(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        DocumentIndex.Document document = store.index().get(id).orElseThrow(() -> new ApiException(404, new ApiError(
                "No document with id '" + Quote.clip(id) + "'.", "invalid_request_error", "id", "document_not_found")));
        Responses.json(res, 200, describe(document, null, true));
    }

    private ObjectNode describe(DocumentIndex.Document d, String status, boolean withMarkdown) {
        ObjectNode o = Json.object().put("id", d.id()).put("object", "document").put("filename", Path.of(d.path()).getFileName()
                .toString()).put("converter", d.converter()).put("page_count", d.pages()).put("visual_pages", d.visualPages());
        if (status != null) {
            o.put("status", status);
        }
        ArrayNode pages = o.putArray("pages");
        for (DocumentIndex.Page page : store.index().pages(d.id())) {
            ObjectNode p = pages.addObject().put("page", page.page()).put("kind", page.kind()).put("reason", page.reason());
            if (withMarkdown) {
                p.put("markdown", store.markdown(d.id(), page.page()).orElse(""));
            }
        }
        if (withMarkdown) {
            o.put("markdown", store.markdown(d.id(), null).orElse(""));
        }
        return o;
    }

    /** Streams an upload to a file of its own (its extension kept: it says which converter reads it), bounded. */
    private Path save(String filename, InputStream content) throws IOException {
        String name = filename == null ? "upload.bin" : filename.replaceAll(".*[/\\\\]", "").replaceAll("[^A-Za-z0-9._-]", "_");
        Files.createDirectories(uploads);
        Path file = uploads.resolve(UUID.randomUUID() + "-" + (name.isBlank() ? "upload.bin" : name));
        long bytes = 0;
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = content.read(buffer)) > 0) {
                bytes += n;
                if (bytes > maxBytes) {
                    out.close();
                    Files.deleteIfExists(file);
                    throw ApiException.tooLarge(maxBytes);
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
