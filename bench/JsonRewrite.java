import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.api.JsonBody;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.accounting.EnergyMethod;
import io.micromesh.core.spi.Usage;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

/**
 * What it costs to write micromesh's fields (model, cost, energy) into an answer: as a tree (parse,
 * change, serialize) against as a token stream (the dispatcher's way: a scan for the usage, then a
 * copy with the fields replaced), for a short answer and a 4 KB one. Run by json-rewrite.sh.
 */
public class JsonRewrite {

    private static final Charge CHARGE = new Charge(0.0001, 0.002, EnergyMethod.PER_TOKEN);
    private static Method priced;

    private static byte[] answer(String content) {
        return ("{\"id\":\"chatcmpl-abc123\",\"object\":\"chat.completion\",\"created\":1733300000,\"model\":\"upstream-model\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},"
                + "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":18,\"completion_tokens\":14,"
                + "\"total_tokens\":32}}").getBytes(StandardCharsets.UTF_8);
    }

    private static int tree(byte[] answer) throws Exception {
        ObjectNode out = (ObjectNode) Json.mapper().readTree(answer);
        Usage.of(out.path("usage"));
        out.put("model", "bench");
        ObjectNode usage = out.withObject("/usage");
        usage.put("cost_usd", CHARGE.costUsd());
        usage.put("energy_wh", CHARGE.energyWh());
        return Json.bytes(out).length;
    }

    private static int streamed(byte[] answer) throws Exception {
        Usage tokens = Usage.ofAnswer(answer, "choices");
        return ((JsonBody) priced.invoke(null, JsonBody.of(answer), "bench", null, tokens, CHARGE)).bytes().length;
    }

    public static void main(String[] args) throws Exception {
        priced = Class.forName("io.micromesh.core.dispatch.PricedAnswer")
                .getDeclaredMethod("of", JsonBody.class, String.class, String.class, Usage.class, Charge.class);
        priced.setAccessible(true);  // package-private in mesh-core
        String sentence = "The customer called about a late parcel and was promised a refund. ";
        for (String[] size : new String[][] {{"short (0.3 KB)", sentence}, {"long (4 KB)", sentence.repeat(60)}}) {
            byte[] answer = answer(size[1]);
            for (int round = 1; round <= 6; round++) {
                long t0 = System.nanoTime();
                long sink = 0;
                for (int i = 0; i < 200_000; i++) {
                    sink += tree(answer);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < 200_000; i++) {
                    sink += streamed(answer);
                }
                long t2 = System.nanoTime();
                if (round > 3) {  // the first rounds warm the JIT up
                    System.out.printf("%s, round %d: tree %.2f us, token stream %.2f us per answer (%d)%n", size[0], round,
                            (t1 - t0) / 2e5 / 1e3, (t2 - t1) / 2e5 / 1e3, sink % 10);
                }
            }
        }
    }
}
