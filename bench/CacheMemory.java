import io.micromesh.core.accounting.EnergyMethod;
import io.micromesh.core.cache.AnswerCache;
import io.micromesh.core.cache.CacheKey;
import io.micromesh.core.spi.Usage;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

/**
 * Heap per response-cache entry: fills an AnswerCache with N answers of a typical chat completion's
 * size (about 600 bytes of JSON) under distinct keys, and divides the heap it grew by N (after GC,
 * median of three rounds), so the weigher's per-entry overhead can be checked against a measurement.
 */
public class CacheMemory {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        String answer = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1767225600,\"model\":\"granite\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + "Thirty days from delivery. ".repeat(12)
                + "\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":40,"
                + "\"completion_tokens\":60,\"total_tokens\":100,\"cost_usd\":0.0001,\"energy_wh\":0.002}}";
        byte[] body = answer.getBytes(StandardCharsets.UTF_8);
        long[] perEntry = new long[3];
        for (int round = 0; round < 3; round++) {
            long before = used();
            AnswerCache cache = new AnswerCache(10_000_000, 1L << 40, Clock.systemUTC());
            for (int i = 0; i < n; i++) {
                CacheKey key = CacheKey.of("granite", "key_" + (i % 7), io.micromesh.api.Json.parseObject(
                        ("{\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"question " + i + "\"}]}")
                                .getBytes(StandardCharsets.UTF_8)));
                cache.put(key, new AnswerCache.Stored(body.clone(), "granite", EnergyMethod.CPU_TIME, new Usage(40, 60),
                        0.0001, 0.002, Duration.ofHours(1)));
            }
            long after = used();
            perEntry[round] = (after - before) / n;
            if (cache.size() != n) {
                throw new IllegalStateException("evicted: " + cache.size());
            }
        }
        java.util.Arrays.sort(perEntry);
        System.out.printf("%d entries of %d-byte answers: %d bytes of heap per entry (median of 3; %d of them the body,"
                + " %d overhead)%n", n, body.length, perEntry[1], body.length + 16, perEntry[1] - body.length - 16);
    }

    private static long used() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
