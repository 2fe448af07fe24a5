package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22, the document store over HTTP: an uploaded PDF is converted once (uploaded again, it is
 * served from the store), read back with its Markdown and pages; bad uploads are 4xx naming why.
 */
@Timeout(60)
class DocumentsApiTest {

    @TempDir
    Path dir;

    private static byte[] form(String filename, byte[] content) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes("\r\n--b--\r\n".getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }

    private static HttpResponse<String> upload(HttpClient http, String base, String filename, byte[] content) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/v1/documents"))
                .header("Content-Type", "multipart/form-data; boundary=b")
                .POST(HttpRequest.BodyPublishers.ofByteArray(form(filename, content))).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anUploadedPdfIsConvertedOnceAndReadBack() throws Exception {
        Path pdf = dir.resolve("memo.pdf");
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage();
            doc.addPage(page);
            try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                s.beginText();
                s.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 11);
                s.newLineAtOffset(72, 700);
                s.showText("The call center summarised 130,000 calls on one small model.");
                s.endText();
            }
            doc.save(pdf.toFile());
        }
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { port: 0, state-dir: "%s", access-log: false }
                models:
                  - { id: remote, engine: openai, endpoints: ["http://127.0.0.1:9"] }
                """.formatted(dir.resolve("state")));
        try (MeshRuntime runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet()); HttpClient http = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + runtime.serve(config.server()).port();
            HttpResponse<String> first = upload(http, base, "memo.pdf", Files.readAllBytes(pdf));
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            JsonNode created = Json.parseObject(first.body().getBytes(StandardCharsets.UTF_8));
            assertThat(created.path("status").asText()).isEqualTo("converted");
            assertThat(created.path("page_count").asInt()).isEqualTo(1);
            assertThat(created.path("pages").get(0).path("kind").asText()).isEqualTo("text");
            JsonNode again = Json.parseObject(upload(http, base, "copy.pdf", Files.readAllBytes(pdf)).body()
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(again.path("status").asText()).as("the same content is not converted twice").isEqualTo("reused");
            assertThat(again.path("id").asText()).isEqualTo(created.path("id").asText());

            HttpResponse<String> read = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/documents/"
                    + created.path("id").asText())).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode document = Json.parseObject(read.body().getBytes(StandardCharsets.UTF_8));
            assertThat(document.path("markdown").asText()).contains("130,000 calls");
            assertThat(document.path("pages").get(0).path("markdown").asText()).contains("one small model");

            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/documents/nosuchdocument")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
            HttpResponse<String> broken = upload(http, base, "broken.pdf", "not a pdf".getBytes(StandardCharsets.UTF_8));
            assertThat(broken.statusCode()).isEqualTo(400);
            assertThat(broken.body()).contains("invalid_document").contains("not a readable PDF");
            HttpResponse<String> unsupported = upload(http, base, "sheet.xlsx", "cells".getBytes(StandardCharsets.UTF_8));
            assertThat(unsupported.statusCode()).isEqualTo(400);
            assertThat(unsupported.body()).contains("unsupported");
            try (var left = Files.list(dir.resolve("state/documents/uploads"))) {
                assertThat(left.toList()).as("no upload left behind").isEmpty();
            }
        }
    }
}
