package io.micromesh.engines.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.CompletionRequest;
import io.micromesh.api.Json;
import io.micromesh.core.spi.BackendReply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The backend on a GGUF that nobody here wrote: {@code ../shared/models/llama-2-tiny-random.gguf}
 * (llama architecture, 32k-token SentencePiece vocabulary). Skipped when {@code ../shared} is absent.
 */
class SharedGgufBackendTest {

    @Test
    void chatAndCompletionRunOnAForeignModel() {
        Path shared = Path.of(System.getProperty("mesh.shared.dir", "../../shared"), "models", "llama-2-tiny-random.gguf");
        assumeTrue(Files.isRegularFile(shared), "../shared/models is absent");
        LlamaBackend backend = LlamaBackend.load(new LlamaBackend.Options(shared, "llama-2-tiny", 2, 256, 2, false),
                LlamaBackend.processLedger(), Clock.systemUTC());
        try {
            BackendReply chat = backend.call(ChatRequest.parse(Json.parseObject(
                    "{\"model\":\"llama-2-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Name a colour.\"}],\"max_tokens\":8,\"seed\":1}"
                            .getBytes(StandardCharsets.UTF_8))));
            assertThat(chat.tokens().prompt()).isGreaterThan(3);
            assertThat(chat.tokens().completion()).isBetween(1L, 8L);
            assertThat(chat.body().path("choices").get(0).path("finish_reason").asText())
                    .isEqualTo(chat.tokens().completion() == 8 ? "length" : "stop");

            CompletionRequest completion = CompletionRequest.parse(Json.parseObject(
                    "{\"model\":\"llama-2-tiny\",\"prompt\":\"The sky is\",\"max_tokens\":6,\"seed\":2,\"stream\":true}"
                            .getBytes(StandardCharsets.UTF_8)));
            List<ObjectNode> chunks = new ArrayList<>();
            long generated = backend.stream(completion, chunks::add).completion();
            assertThat(generated).isBetween(1L, 6L);
            assertThat(chunks.getLast().path("choices").get(0).path("finish_reason").asText()).isIn("stop", "length");
        } finally {
            backend.close();
        }
    }
}
