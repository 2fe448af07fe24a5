package io.micromesh.engines.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docling converter against a stand-in of Docling Serve (an external service): the file goes as
 * multipart {@code files} with {@code to_formats=md}, the Markdown comes back from {@code
 * document.md_content}; a failing service is a document error naming the status.
 */
@Timeout(30)
class DoclingConverterTest {

    @TempDir
    Path dir;

    @Test
    void aFileIsConvertedByDoclingServeAndItsFailuresAreNamed() throws Exception {
        AtomicReference<String> received = new AtomicReference<>();
        HttpServer docling = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        docling.createContext("/v1/convert/file", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.ISO_8859_1);
            received.set(body);
            boolean fail = body.contains("filename=\"fail.pdf\"");
            byte[] answer = (fail ? "{\"detail\": \"conversion failed\"}"
                    : "{\"document\": {\"md_content\": \"## From Docling\\n\\n| a | b |\\n\"}, \"status\": \"success\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(fail ? 500 : 200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        docling.start();
        try {
            DoclingConverter converter = new DoclingConverter(URI.create("http://127.0.0.1:" + docling.getAddress().getPort()),
                    Duration.ofSeconds(10));
            Path pdf = Files.writeString(dir.resolve("paper.pdf"), "%PDF-1.7 stand-in bytes");
            ConvertedDocument converted = converter.convert(pdf);
            assertThat(converted.pages().getFirst().markdown()).startsWith("## From Docling");
            assertThat(received.get()).contains("name=\"files\"; filename=\"paper.pdf\"").contains("name=\"to_formats\"")
                    .contains("%PDF-1.7 stand-in bytes");
            Path failing = Files.writeString(dir.resolve("fail.pdf"), "x");
            assertThatThrownBy(() -> converter.convert(failing)).isInstanceOf(DocumentException.class)
                    .hasMessageContaining("HTTP 500").hasMessageContaining("conversion failed");
        } finally {
            docling.stop(0);
        }
        assertThatThrownBy(() -> new DoclingConverter(URI.create("http://127.0.0.1:9"), Duration.ofSeconds(5))
                .convert(dir.resolve("paper.pdf"))).isInstanceOf(DocumentException.class).hasMessageContaining("cannot be reached");
    }
}
