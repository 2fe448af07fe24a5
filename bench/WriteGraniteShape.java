import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import java.nio.file.Path;

/**
 * Writes a random GGUF for engine benchmarks: IBM Granite 3.x 2B's shape at Q4_0, or with "moe" as
 * the second argument Granite 3.0 3B-A800M's (a mixture of experts: 40 experts, 8 used per token) at
 * Q8_0 (the llama.cpp of the binding fails an assertion on repacked Q4_0 experts on x86).
 */
public class WriteGraniteShape {
    public static void main(String[] args) {
        boolean moe = args.length > 1 && args[1].equals("moe");
        GgufWriter.writeRandomLlama(Path.of(args[0]), moe ? GgufWriter.Shape.granite3bMoe(GgmlType.Q8_0)
                : GgufWriter.Shape.granite2b(GgmlType.Q4_0), moe ? "granite-3b-a800m-shape" : "granite-2b-shape", 1);
    }
}
