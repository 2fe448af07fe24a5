import io.micromesh.engines.docs.ConvertedDocument;
import io.micromesh.engines.docs.PdfConverter;
import java.nio.file.Path;

/**
 * Conversion speed of the PDF converter, in process: converts each PDF given ROUNDS times (the first
 * round warms the JIT and is not counted) and prints pages a second.
 * Usage: DocsConvert ROUNDS FILE.pdf...
 */
public class DocsConvert {
    public static void main(String[] args) {
        int rounds = Integer.parseInt(args[0]);
        PdfConverter converter = new PdfConverter(10_000);
        long pages = 0;
        long start = 0;
        for (int round = 0; round <= rounds; round++) {
            if (round == 1) {
                start = System.nanoTime();
                pages = 0;
            }
            for (int i = 1; i < args.length; i++) {
                ConvertedDocument d = converter.convert(Path.of(args[i]));
                pages += d.pages().size();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%d pages in %.2f s: %.1f pages/s%n", pages, seconds, pages / seconds);
    }
}
