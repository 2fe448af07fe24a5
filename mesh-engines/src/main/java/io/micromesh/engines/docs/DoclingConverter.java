package io.micromesh.engines.docs;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * Converts a document with a Docling Serve instance ({@code POST /v1/convert/file}, multipart
 * {@code files}, {@code to_formats=md}; the Markdown is the answer's {@code document.md_content}):
 * Docling's layout and table models, run where the user hosts them. One page (Docling's Markdown has
 * no page markers). Written on the JDK's HTTP client: one request of one endpoint, which does not
 * warrant a client library and its dependencies.
 */
public final class DoclingConverter {

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    /** @param base the Docling Serve instance, e.g. {@code http://127.0.0.1:5001} */
    public DoclingConverter(URI base, Duration timeout) {
        this.base = base;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** The converter's name for content addresses: documents Docling converted are kept apart from PDFBox's. */
    public static String version() {
        return "docling-serve+rules-1";
    }

    /**
     * Converts one file.
     *
     * @throws DocumentException naming why: the service refused the file, failed, or cannot be reached
     */
    public ConvertedDocument convert(Path file) {
        String boundary = "mesh-" + UUID.randomUUID();
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"to_formats\"\r\n\r\nmd\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + file.getFileName().toString()
                .replaceAll("[\"\\r\\n]", "_") + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
        HttpResponse<String> answer;
        try {
            HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/convert/file")).timeout(timeout)
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofString(head),
                            HttpRequest.BodyPublishers.ofFile(file),
                            HttpRequest.BodyPublishers.ofString("\r\n--" + boundary + "--\r\n"))).build();
            answer = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new DocumentException("Docling Serve at " + base + " cannot be reached: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DocumentException("interrupted");
        }
        JsonNode body;
        try {
            body = Json.mapper().readTree(answer.body());
        } catch (IOException e) {
            body = null;
        }
        if (answer.statusCode() != 200 || body == null || !body.path("document").path("md_content").isTextual()) {
            String why = body == null ? answer.body() : body.path("errors").toString() + " " + body.path("detail").toString();
            throw new DocumentException("Docling Serve answered HTTP " + answer.statusCode() + ": "
                    + (why.length() > 200 ? why.substring(0, 200) + "..." : why).strip());
        }
        String markdown = body.path("document").path("md_content").asText();
        if (markdown.isBlank()) {
            throw new DocumentException("empty: Docling found no text");
        }
        return new ConvertedDocument(List.of(new ConvertedDocument.Page(1, markdown, ConvertedDocument.Kind.TEXT,
                markdown.length() + " characters of text (Docling)")));
    }
}
