package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.testkit.StandInServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every mistake of a caller is a 4xx with a clear OpenAI-shaped error, and the gateway keeps serving. */
class BadInputTest {

    private static StandInServer upstream;
    private static TestGateway mesh;

    @BeforeAll
    static void start() {
        upstream = StandInServer.start("upstream");
        mesh = new TestGateway("""
                server: { max-body-bytes: 4096 }
                models:
                  - id: remote
                    engine: openai
                    endpoints: ["%s"]
                    context: 4096
                  - id: local
                    engine: llamacpp
                    file: models/absent.gguf
                """.formatted(upstream.baseUrl()));
    }

    @AfterAll
    static void stop() {
        mesh.close();
        upstream.close();
    }

    @AfterEach
    void stillServes() {
        HttpResponse<String> ok = mesh.post("/v1/chat/completions", TestGateway.chat("remote", false));
        assertThat(ok.statusCode()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "malformed JSON       | /v1/chat/completions | {\"model\":\"remote\",           | 400 | ",
            "empty body           | /v1/chat/completions | ''                               | 400 | ",
            "array body           | /v1/chat/completions | [1,2]                            | 400 | ",
            "missing messages     | /v1/chat/completions | {\"model\":\"remote\"}           | 400 | messages",
            "wrong type           | /v1/chat/completions | {\"model\":\"remote\",\"messages\":\"hi\"} | 400 | messages",
            "unknown model        | /v1/chat/completions | {\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} | 404 | model",
            "negative max_tokens  | /v1/chat/completions | {\"model\":\"remote\",\"max_tokens\":-5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} | 400 | max_tokens",
            "absurd max_tokens    | /v1/chat/completions | {\"model\":\"remote\",\"max_tokens\":1e12,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} | 400 | max_tokens",
            "beyond context       | /v1/chat/completions | {\"model\":\"remote\",\"max_tokens\":5000,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} | 400 | max_tokens",
            "completion no prompt | /v1/completions      | {\"model\":\"remote\"}           | 400 | prompt",
            "embeddings no input  | /v1/embeddings       | {\"model\":\"remote\"}           | 400 | input",
            "n on a local engine  | /v1/chat/completions | {\"model\":\"local\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} | 422 | n",
    })
    void answersACallersMistakeWithA4xx(String name, String path, String body, int status, String param) {
        HttpResponse<String> response = mesh.post(path, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertOpenAiError(response, param);
    }

    @Test
    void refusesABodyOverTheLimitWith413() {
        String big = "{\"model\":\"remote\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(5000) + "\"}]}";
        HttpResponse<String> response = mesh.post("/v1/chat/completions", big);
        assertThat(response.statusCode()).isEqualTo(413);
        assertOpenAiError(response, null);
    }

    @Test
    void refusesInvalidUtf8() {
        byte[] body = "{\"model\":\"remote\",\"messages\":[{\"role\":\"user\",\"content\":\"XX\"}]}".getBytes(StandardCharsets.UTF_8);
        int at = new String(body, StandardCharsets.UTF_8).indexOf("XX");
        body[at] = (byte) 0xC3;
        body[at + 1] = (byte) 0x28;
        HttpResponse<String> response = mesh.post("/v1/chat/completions", body);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(TestGateway.json(response).path("error").path("message").asText()).contains("UTF-8");
    }

    @Test
    void anUnknownRouteIsA404AndAKnownOneAskedWithAnotherMethodA405InOpenAiShape() {
        HttpResponse<String> unknown = mesh.get("/v1/nothing-here");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertOpenAiError(unknown, null);
        HttpResponse<String> wrongMethod = mesh.get("/v1/chat/completions");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("POST");
        assertOpenAiError(wrongMethod, null);
    }

    @Test
    void aModelWhoseEngineIsNotAvailableAnswers503() {
        HttpResponse<String> response = mesh.post("/v1/chat/completions", TestGateway.chat("local", false));
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(TestGateway.json(response).path("error").path("message").asText()).contains("engine not available");
    }

    @Test
    void everyResponseCarriesARequestIdTheCallersWhenGiven() {
        HttpResponse<String> mine = mesh.post("/v1/chat/completions", TestGateway.chat("remote", false),
                "x-request-id", "trace-42");
        assertThat(mine.headers().firstValue("x-request-id")).hasValue("trace-42");
        HttpResponse<String> generated = mesh.post("/v1/chat/completions", "{");
        assertThat(generated.headers().firstValue("x-request-id")).hasValueSatisfying(id -> assertThat(id).startsWith("req_"));
    }

    private static void assertOpenAiError(HttpResponse<String> response, String param) {
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode error = TestGateway.json(response).path("error");
        assertThat(error.path("message").asText()).isNotBlank();
        assertThat(error.path("type").asText()).isNotBlank();
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
        if (param != null) {
            assertThat(error.path("param").asText()).isEqualTo(param);
        }
    }
}
