package io.micromesh.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChatRequestTest {

    private static ChatRequest parse(String json) {
        return ChatRequest.parse(Json.parseObject(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsWhatTheGatewayDecidesOn() {
        ChatRequest chat = parse("""
                {"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"},
                 {"type":"image_url","image_url":{"url":"data:,"}}]}],
                 "stream":true,"stream_options":{"include_usage":true},"max_tokens":50,
                 "max_completion_tokens":20,"n":2,"tools":[{"type":"function","function":{"name":"f"}}],
                 "response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}},
                 "some_future_field":{"kept":true}}""");
        assertThat(chat.model()).isEqualTo("m");
        assertThat(chat.stream()).isTrue();
        assertThat(chat.includeUsage()).isTrue();
        assertThat(chat.maxTokens()).hasValue(20);
        assertThat(chat.choices()).isEqualTo(2);
        assertThat(chat.hasTools()).isTrue();
        assertThat(chat.hasImages()).isTrue();
        assertThat(chat.responseFormat()).isEqualTo("json_schema");
        assertThat(chat.body().path("some_future_field").path("kept").asBoolean()).isTrue();
    }

    @Test
    void assistantMessagesMayHaveNoContent() {
        ChatRequest chat = parse("""
                {"model":"m","messages":[{"role":"user","content":"hi"},
                 {"role":"assistant","content":null,"tool_calls":[]},{"role":"tool","content":"42","tool_call_id":"a"}]}""");
        assertThat(chat.stream()).isFalse();
        assertThat(chat.maxTokens()).isEmpty();
    }

    @ParameterizedTest(name = "{0} -> param {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}                          | model",
            "{\"model\":\"m\"}                                                                | messages",
            "{\"model\":\"m\",\"messages\":[]}                                                | messages",
            "{\"model\":\"m\",\"messages\":\"hi\"}                                            | messages",
            "{\"model\":42,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}             | model",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"robot\",\"content\":\"hi\"}]}         | messages[0].role",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}                             | messages[0].content",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}               | messages[0].content",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":-1}       | max_tokens",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0}        | max_tokens",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":99999999999} | max_tokens",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":\"ten\"}  | max_tokens",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1.5}      | max_tokens",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":3}       | temperature",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"top_p\":\"x\"}         | top_p",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":\"yes\"}      | stream",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":0}                 | n",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":[1]}            | stop",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]} | stop",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":\"s\"}          | seed",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"response_format\":{\"type\":\"xml\"}} | response_format.type",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"response_format\":{\"type\":\"json_schema\"}} | response_format.json_schema",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":{}}            | tools",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"42\"}]}                   | messages[0].tool_call_id",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5}]}]} | messages[0].content[0].text",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video\"}]}]}  | messages[0].content[0].type",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tool_choice\":\"required\"} | tool_choice",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":\"nope\"}}]} | tools[0].function.parameters",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream_options\":{\"include_usage\":true}} | stream_options",
    })
    void refusesBadFieldsNamingTheParameter(String body, String param) {
        assertThatThrownBy(() -> parse(body))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.error().param()).isEqualTo(param);
                    assertThat(e.error().type()).isEqualTo("invalid_request_error");
                    assertThat(e.error().message()).contains(param.replaceAll("\\[.*", ""));
                });
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"''", "'{'", "'[1,2]'", "'{\"a\":1} {\"b\":2}'", "'null'"})
    void refusesBodiesThatAreNotOneJsonObject(String body) {
        assertThatThrownBy(() -> Json.parseObject(body.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void aDuplicateKeyTakesTheLastValueLikeOpenAi() {
        assertThat(parse("{\"model\":\"a\",\"model\":\"b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").model())
                .isEqualTo("b");
    }

    @Test
    void refusesInvalidUtf8() {
        byte[] body = {'{', '"', 'm', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThatThrownBy(() -> Json.parseObject(body))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).containsIgnoringCase("UTF-8");
                });
    }
}
