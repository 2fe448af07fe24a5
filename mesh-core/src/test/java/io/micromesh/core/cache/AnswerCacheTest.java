package io.micromesh.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.core.accounting.EnergyMethod;
import io.micromesh.core.spi.Usage;
import io.micromesh.testkit.FakeClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cache's key, its bounds and expiry on an injected clock, and the stream/whole conversions. */
@Timeout(30)
class AnswerCacheTest {

    private static ObjectNode body(String json) {
        return Json.parseObject(json.getBytes(StandardCharsets.UTF_8));
    }

    private static AnswerCache.Stored stored(int bytes, Duration ttl) {
        return new AnswerCache.Stored(new byte[bytes], "m", EnergyMethod.NONE, new Usage(1, 1), 0.01, 0.001, ttl);
    }

    @Test
    void theKeyIgnoresOrderNumberFormsAndDeliveryButNotTheAnswersInputs() {
        ObjectNode a = body("{\"model\":\"x\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}");
        ObjectNode b = body("{\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],\"temperature\":0.0,\"user\":\"u\",\"model\":\"x\"}");
        assertThat(CacheKey.of("x", "k1", a)).isEqualTo(CacheKey.of("x", "k1", b));
        assertThat(CacheKey.of("x", "k2", a)).as("another key").isNotEqualTo(CacheKey.of("x", "k1", a));
        assertThat(CacheKey.of("y", "k1", a)).as("another route or model").isNotEqualTo(CacheKey.of("x", "k1", a));
        ObjectNode tools = a.deepCopy();
        tools.putArray("tools").addObject().put("type", "function").putObject("function").put("name", "f");
        assertThat(CacheKey.of("x", "k1", tools)).isNotEqualTo(CacheKey.of("x", "k1", a));
        ObjectNode longer = a.deepCopy().put("max_tokens", 5);
        assertThat(CacheKey.of("x", "k1", longer)).isNotEqualTo(CacheKey.of("x", "k1", a));
        assertThat(CacheKey.deterministic(a)).isTrue();
        assertThat(CacheKey.deterministic(body("{\"seed\":3}"))).isTrue();
        assertThat(CacheKey.deterministic(body("{\"temperature\":0.2}"))).isFalse();
        assertThat(CacheKey.deterministic(body("{}"))).as("OpenAI's default temperature is 1").isFalse();
    }

    @Test
    void answersExpireOnTheInjectedClock() {
        FakeClock clock = new FakeClock();
        AnswerCache cache = new AnswerCache(10, 1 << 20, clock);
        cache.put(new CacheKey("a"), stored(10, Duration.ofSeconds(60)));
        cache.put(new CacheKey("b"), stored(10, Duration.ofSeconds(600)));
        clock.advance(Duration.ofSeconds(59));
        assertThat(cache.get(new CacheKey("a"))).isPresent();
        clock.advance(Duration.ofSeconds(2));
        assertThat(cache.get(new CacheKey("a"))).isEmpty();
        assertThat(cache.get(new CacheKey("b"))).isPresent();
    }

    @Test
    void theCacheIsBoundedByEntriesAndByBytes() {
        AnswerCache byEntries = new AnswerCache(5, 1 << 30, new FakeClock());
        for (int i = 0; i < 50; i++) {
            byEntries.put(new CacheKey("k" + i), stored(100, Duration.ofHours(1)));
        }
        assertThat(byEntries.size()).isLessThanOrEqualTo(5);
        AnswerCache byBytes = new AnswerCache(1_000, 64 * 1024, new FakeClock());
        for (int i = 0; i < 50; i++) {
            byBytes.put(new CacheKey("k" + i), stored(8 * 1024, Duration.ofHours(1)));
        }
        assertThat(byBytes.size()).as("64 KiB hold at most 7 answers of 8 KiB").isLessThanOrEqualTo(7).isPositive();
    }

    @Test
    void aStreamAssemblesIntoTheWholeAnswerAndReplaysAsTheSameStream() {
        List<ObjectNode> chunks = List.of(
                body("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"role\":\"assistant\",\"content\":\"one \"},\"finish_reason\":null}]}"),
                body("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"content\":\"two\"},\"finish_reason\":\"stop\"}]}"),
                body("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],"
                        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}"));
        ObjectNode whole = ChatChunks.assemble(chunks);
        assertThat(whole.path("object").asText()).isEqualTo("chat.completion");
        assertThat(whole.path("choices").get(0).path("message").path("content").asText()).isEqualTo("one two");
        assertThat(whole.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(whole.path("usage").path("total_tokens").asInt()).isEqualTo(5);
        assertThat(ChatChunks.assemble(ChatChunks.replay(whole, true))).isEqualTo(whole);

        List<ObjectNode> calls = List.of(
                body("{\"id\":\"c2\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                        + "\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":"
                        + "\"f\",\"arguments\":\"\"}}]}}]}"),
                body("{\"id\":\"c2\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                        + "\"function\":{\"arguments\":\"{\\\"a\\\":1}\"}}]},\"finish_reason\":\"tool_calls\"}]}"));
        ObjectNode called = ChatChunks.assemble(calls);
        var call = called.path("choices").get(0).path("message").path("tool_calls").get(0);
        assertThat(call.path("id").asText()).isEqualTo("call_1");
        assertThat(call.path("function").path("arguments").asText()).isEqualTo("{\"a\":1}");
        assertThat(called.path("choices").get(0).path("message").path("content").isNull()).isTrue();
        assertThat(ChatChunks.assemble(ChatChunks.replay(called, false))).isEqualTo(called);
    }
}
