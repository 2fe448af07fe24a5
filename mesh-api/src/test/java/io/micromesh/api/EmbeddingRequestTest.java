package io.micromesh.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EmbeddingRequestTest {

    private static EmbeddingRequest parse(String json) {
        return EmbeddingRequest.parse(Json.parseObject(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void acceptsAStringOrAnArrayOfStrings() {
        assertThat(parse("{\"model\":\"e\",\"input\":\"one\"}").texts()).containsExactly("one");
        EmbeddingRequest many = parse("{\"model\":\"e\",\"input\":[\"a\",\"b\"],\"encoding_format\":\"base64\"}");
        assertThat(many.texts()).containsExactly("a", "b");
        assertThat(many.base64()).isTrue();
    }

    @Test
    void recognisesTokenIdsWithoutTurningThemIntoText() {
        EmbeddingRequest tokens = parse("{\"model\":\"e\",\"input\":[[1,2,3]]}");
        assertThat(tokens.tokenIds()).isTrue();
        assertThat(tokens.texts()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"model\":\"e\"}",
            "{\"model\":\"e\",\"input\":\"\"}",
            "{\"model\":\"e\",\"input\":[]}",
            "{\"model\":\"e\",\"input\":[\"a\",3.5]}",
            "{\"model\":\"e\",\"input\":{\"text\":\"a\"}}",
            "{\"model\":\"e\",\"input\":[\"a\",[1,2]]}",
            "{\"model\":\"e\",\"input\":\"a\",\"encoding_format\":\"hex\"}",
            "{\"model\":\"e\",\"input\":\"a\",\"dimensions\":0}"})
    void refusesBadInput(String body) {
        assertThatThrownBy(() -> parse(body)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(400));
    }
}
