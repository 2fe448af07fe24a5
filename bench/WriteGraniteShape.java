import io.micromesh.engines.gguf.GgmlType;
import io.micromesh.engines.gguf.GgufWriter;
import java.nio.file.Path;

/** Writes a random GGUF of IBM Granite 3.x 2B's shape at Q4_0, for engine benchmarks. */
public class WriteGraniteShape {
    public static void main(String[] args) {
        GgufWriter.writeRandomLlama(Path.of(args[0]), GgufWriter.Shape.granite2b(GgmlType.Q4_0), "granite-2b-shape", 1);
    }
}
