package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, the Files API, driven by the official openai-java SDK: upload (larger than a request body
 * may be: streamed to disk), retrieve, list, download, delete; a file is its key's only; bad purposes,
 * missing files and files over the limit are 4xx.
 */
@Timeout(120)
class FilesApiTest {

    private static final String MASTER = "files-master-key-0123456789";

    @TempDir
    Path dir;

    private static OpenAIClient client(String base, String key) {
        return OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey(key).maxRetries(0).build();
    }

    private static String issue(HttpClient http, String base, String name) throws Exception {
        var created = http.send(HttpRequest.newBuilder(URI.create(base + "/admin/keys")).header("Authorization", "Bearer " + MASTER)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"" + name + "\"}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return Json.parseObject(created.body().getBytes(StandardCharsets.UTF_8)).path("key").asText();
    }

    @Test
    void theSdkUploadsListsDownloadsAndDeletesFilesThatBelongToTheirKey() throws Exception {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { port: 0, master-key: %s, state-dir: "%s", access-log: false, max-body-bytes: 1048576,
                          max-file-bytes: 8388608 }
                models:
                  - { id: remote, engine: openai, endpoints: ["http://127.0.0.1:9"] }
                """.formatted(MASTER, dir.resolve("state")));
        try (MeshRuntime runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet());
             HttpClient http = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + runtime.serve(config.server()).port();
            String keyA = issue(http, base, "a");
            String keyB = issue(http, base, "b");
            // 3 MB of batch lines: three times the request body limit, so the upload is streamed to disk
            StringBuilder lines = new StringBuilder();
            for (int i = 0; lines.length() < 3_000_000; i++) {
                lines.append("{\"custom_id\": \"r").append(i).append("\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\","
                        + " \"body\": {\"model\": \"remote\", \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}}\n");
            }
            Path input = Files.writeString(dir.resolve("requests.jsonl"), lines);
            OpenAIClient a = client(base, keyA);
            FileObject uploaded = a.files().create(FileCreateParams.builder().file(input).purpose(FilePurpose.BATCH).build());
            assertThat(uploaded.id()).startsWith("file-");
            assertThat(uploaded.bytes()).isEqualTo(Files.size(input));
            assertThat(uploaded.filename()).isEqualTo("requests.jsonl");
            assertThat(a.files().retrieve(uploaded.id()).bytes()).isEqualTo(Files.size(input));
            assertThat(a.files().list().data()).extracting(FileObject::id).contains(uploaded.id());
            try (HttpResponse content = a.files().content(uploaded.id())) {
                assertThat(content.body().readAllBytes()).isEqualTo(Files.readAllBytes(input));
            }

            OpenAIClient b = client(base, keyB);
            assertThatThrownBy(() -> b.files().retrieve(uploaded.id())).isInstanceOf(NotFoundException.class);
            assertThat(b.files().list().data()).isEmpty();
            assertThat(client(base, MASTER).files().list().data()).extracting(FileObject::id).contains(uploaded.id());

            assertThat(a.files().delete(uploaded.id()).deleted()).isTrue();
            assertThatThrownBy(() -> a.files().retrieve(uploaded.id())).isInstanceOf(NotFoundException.class);
            assertThat(Files.list(dir.resolve("state/files")).toList()).as("the bytes are gone too").isEmpty();

            assertThatThrownBy(() -> a.files().create(FileCreateParams.builder().file(input).purpose(FilePurpose.FINE_TUNE).build()))
                    .isInstanceOf(BadRequestException.class).hasMessageContaining("purpose");
            Path big = dir.resolve("big.jsonl");
            Files.write(big, new byte[9 * 1024 * 1024]);
            var tooLarge = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/files")).header("Authorization", "Bearer " + keyA)
                    .header("Content-Type", "multipart/form-data; boundary=x")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(multipart(Files.readAllBytes(big)))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(tooLarge.statusCode()).isEqualTo(413);
            var noFile = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/files")).header("Authorization", "Bearer " + keyA)
                    .header("Content-Type", "multipart/form-data; boundary=x")
                    .POST(HttpRequest.BodyPublishers.ofString("--x\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
                            + "batch\r\n--x--\r\n")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(noFile.statusCode()).isEqualTo(400);
            assertThat(noFile.body()).contains("'file' is required");
            assertThat(Files.list(dir.resolve("state/files")).toList()).as("nothing kept of refused uploads").isEmpty();
        }
    }

    private static byte[] multipart(byte[] file) {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes("--x\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jsonl\"\r\n\r\n".getBytes(StandardCharsets.UTF_8));
        body.writeBytes(file);
        body.writeBytes("\r\n--x--\r\n".getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }
}
