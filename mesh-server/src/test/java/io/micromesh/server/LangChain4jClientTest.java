package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.micromesh.testkit.StandInServer;
import io.micromesh.testkit.Vectors;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI module, unchanged, against a running gateway. */
class LangChain4jClientTest {

    private static StandInServer upstream;
    private static TestGateway mesh;

    @BeforeAll
    static void start() {
        upstream = StandInServer.start("upstream");
        mesh = new TestGateway("""
                models:
                  - id: remote
                    engine: openai
                    endpoints: ["%s"]
                  - id: minilm
                    engine: onnx
                """.formatted(upstream.baseUrl()));
    }

    @AfterAll
    static void stop() {
        mesh.close();
        upstream.close();
    }

    @Test
    void chats() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(mesh.url() + "/v1").apiKey("unused")
                .modelName("remote").maxRetries(0).build();
        assertThat(model.chat("say hello")).isEqualTo("Hello from the stand-in");
    }

    @Test
    void streamsAChat() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(mesh.url() + "/v1")
                .apiKey("unused").modelName("remote").build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat("say hello", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(30, TimeUnit.SECONDS);
        assertThat(partial.toString()).isEqualTo("Hello from the stand-in");
        assertThat(response.aiMessage().text()).isEqualTo("Hello from the stand-in");
    }

    @Test
    void embeddingsThroughTheGatewayAreTheReferenceModelsVectors() {
        OpenAiEmbeddingModel gateway = OpenAiEmbeddingModel.builder().baseUrl(mesh.url() + "/v1").apiKey("unused")
                .modelName("minilm").maxRetries(0).build();
        AllMiniLmL6V2QuantizedEmbeddingModel reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
        for (String text : List.of("How do I reset my password?", "Refund for order 4471, please.",
                "Photosynthesis converts light into chemical energy.")) {
            float[] ours = gateway.embed(text).content().vector();
            float[] theirs = reference.embed(text).content().vector();
            assertThat(Vectors.cosine(ours, theirs)).as(text).isGreaterThanOrEqualTo(0.999);
        }
    }
}
