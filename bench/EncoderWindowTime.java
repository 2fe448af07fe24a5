import io.micromesh.engines.onnx.EncoderBackend;
import java.util.*;
/** In-process time of one MiniLM embedding by window size (100 random texts each, two passes). Run by bench/encoder-window-time.sh. */
public class EncoderWindowTime {
  public static void main(String[] a) {
    EncoderBackend enc = EncoderBackend.load("minilm");
    String[] words = "the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will more out up into do any your what some can time could".split(" ");
    Random r = new Random(1);
    for (int n : new int[] {32, 48, 64, 128, 256, 32, 48, 64, 128, 256}) {
      double[] t = new double[100];
      for (int i = 0; i < 100; i++) {
        StringBuilder sb = new StringBuilder();
        for (int w = 0; w < n; w++) sb.append(words[r.nextInt(words.length)]).append(' ');
        long s = System.nanoTime(); enc.embed(sb.toString()); t[i] = (System.nanoTime() - s) / 1e6;
      }
      Arrays.sort(t);
      System.out.printf("%d words: p50 %.1f ms, p90 %.1f ms%n", n, t[50], t[90]);
    }
    System.exit(0);
  }
}
