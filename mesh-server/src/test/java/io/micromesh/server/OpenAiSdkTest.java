package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnprocessableEntityException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import io.micromesh.testkit.StandInServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK, unchanged, against a running gateway. */
class OpenAiSdkTest {

    private static StandInServer upstream;
    private static TestGateway mesh;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        upstream = StandInServer.start("upstream");
        mesh = new TestGateway("""
                models:
                  - id: remote
                    engine: openai
                    endpoints: ["%s"]
                    price: { input-per-mtok: 1.0, output-per-mtok: 2.0 }
                  - id: minilm
                    engine: onnx
                """.formatted(upstream.baseUrl()));
        client = OpenAIOkHttpClient.builder().baseUrl(mesh.url() + "/v1").apiKey("unused").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        mesh.close();
        upstream.close();
    }

    @Test
    void listsTheModelsOfThePortfolio() {
        List<String> ids = client.models().list().data().stream().map(Model::id).toList();
        assertThat(ids).containsExactly("remote", "minilm");
        assertThat(client.models().retrieve("minilm").ownedBy()).isEqualTo("micromesh");
    }

    @Test
    void chats() {
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("remote").addUserMessage("say hello").maxCompletionTokens(20).build());
        assertThat(completion.model()).isEqualTo("remote");
        assertThat(completion.choices().get(0).message().content()).hasValue("Hello from the stand-in");
        assertThat(completion.usage()).hasValueSatisfying(u -> {
            assertThat(u.promptTokens()).isEqualTo(2);
            assertThat(u.completionTokens()).isEqualTo(4);
            assertThat(u._additionalProperties().get("cost_usd").toString()).isEqualTo("1.0E-5");
        });
    }

    /** A remote model gets tools, tool_choice and parallel_tool_calls exactly as the client sent them. */
    @Test
    void toolsReachARemoteModelUnchanged() throws Exception {
        String tools = "[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"description\":\"Find a fact\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\",\"maxLength\":9}},"
                + "\"required\":[\"q\"]},\"strict\":true}}]";
        String choice = "{\"type\":\"function\",\"function\":{\"name\":\"lookup\"}}";
        var answer = mesh.post("/v1/chat/completions", "{\"model\":\"remote\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"find it\"}],\"tools\":" + tools + ",\"tool_choice\":" + choice + ",\"parallel_tool_calls\":false}");
        assertThat(answer.statusCode()).isEqualTo(200);
        var sent = upstream.recorded().getLast().body();
        assertThat(sent.get("tools")).isEqualTo(io.micromesh.api.Json.mapper().readTree(tools));
        assertThat(sent.get("tool_choice")).isEqualTo(io.micromesh.api.Json.mapper().readTree(choice));
        assertThat(sent.path("parallel_tool_calls").asBoolean(true)).isFalse();
    }

    @Test
    void streamsAChat() {
        StringBuilder text = new StringBuilder();
        long[] usageTokens = {-1};
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("remote").addUserMessage("say hello")
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
                chunk.usage().ifPresent(u -> usageTokens[0] = u.totalTokens());
            });
        }
        assertThat(text.toString()).isEqualTo("Hello from the stand-in");
        assertThat(usageTokens[0]).isEqualTo(6);
    }

    @Test
    void embedsWithTheInProcessEncoder() {
        CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("minilm").input("The cat sits on the mat.").build());
        List<Float> vector = response.data().get(0).embedding();
        assertThat(vector).hasSize(384);
        double norm = vector.stream().mapToDouble(v -> v * v).sum();
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(response.usage().promptTokens()).isEqualTo(9);
    }

    @Test
    void reportsErrorsAsTheSdkExpectsThem() {
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("no-such-model").addUserMessage("hi").build()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.code()).hasValue("model_not_found");
                    assertThat(e.param()).hasValue("model");
                });
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("minilm").addUserMessage("hi").build()))
                .isInstanceOfSatisfying(UnprocessableEntityException.class,
                        e -> assertThat(e.getMessage()).contains("does not serve /v1/chat/completions"));
    }
}
