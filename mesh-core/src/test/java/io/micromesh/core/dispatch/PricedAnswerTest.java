package io.micromesh.core.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.api.JsonBody;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.accounting.EnergyMethod;
import io.micromesh.core.spi.Usage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** An answer rewritten as a token stream carries the same fields and values as the same answer changed as a tree. */
class PricedAnswerTest {

    private static final Charge CHARGE = new Charge(0.000123, 0.0045, EnergyMethod.PER_TOKEN);

    @ParameterizedTest
    @ValueSource(strings = {
            // an upstream's usual answer
            "{\"id\":\"up-1\",\"object\":\"chat.completion\",\"model\":\"upstream-name\",\"choices\":[{\"index\":0,"
                    + "\"message\":{\"role\":\"assistant\",\"content\":\"hé \\\"quoted\\\" \\u2603\"},\"finish_reason\":\"stop\"}],"
                    + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}",
            // no usage, no model
            "{\"id\":\"up-2\",\"choices\":[{\"index\":0,\"message\":{\"content\":null,\"tool_calls\":[{\"id\":\"c\"}]}}]}",
            // usage without its counts, with an engine worker's measurements
            "{\"model\":\"m\",\"choices\":[],\"usage\":{\"cpu_seconds\":0.25,\"rapl_joules\":1.5}}",
            // another micromesh gateway upstream: its own cost and energy give way to ours
            "{\"model\":\"m\",\"data\":[{\"embedding\":[0.1,-2.5E-7,3]}],\"usage\":{\"prompt_tokens\":4,\"total_tokens\":4,"
                    + "\"cost_usd\":9.0,\"energy_wh\":8.0},\"extra\":{\"nested\":[1,{\"a\":true}]}}",
    })
    void theStreamedRewriteEqualsTheTreeRewrite(String upstream) {
        byte[] bytes = upstream.getBytes(StandardCharsets.UTF_8);
        Usage tokens = Usage.ofAnswer(bytes);
        for (String completionId : new String[] {null, "chatcmpl-mesh"}) {
            JsonNode streamed = Json.parseObject(PricedAnswer.of(JsonBody.of(bytes), "served", completionId, tokens, CHARGE)
                    .bytes());
            JsonNode tree = Json.parseObject(PricedAnswer.of(JsonBody.of(Json.parseObject(bytes)), "served", completionId,
                    tokens, CHARGE).bytes());
            assertThat(streamed).isEqualTo(tree);
            assertThat(streamed.path("model").asText()).isEqualTo("served");
            assertThat(streamed.path("usage").path("cost_usd").asDouble()).isEqualTo(0.000123);
            assertThat(streamed.path("usage").path("energy_wh").asDouble()).isEqualTo(0.0045);
            assertThat(streamed.path("usage").path("prompt_tokens").asLong()).isEqualTo(tokens.prompt());
            if (completionId != null) {
                assertThat(streamed.path("id").asText()).isEqualTo(completionId);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1,2]", "{\"choices\":[]", "{\"choices\":[]} {}", "", "{\"a\":NaN}"})
    void readingTheUsageOfSomethingThatIsNotOneObjectFails(String answer) {
        assertThatThrownBy(() -> Usage.ofAnswer(answer.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
