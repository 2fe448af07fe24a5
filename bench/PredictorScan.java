import io.micromesh.core.routing.quality.SuccessPredictor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * What a cost-quality decision's scan of the predictor's memory costs, by memory size: random
 * 384-dimensional unit vectors (all-MiniLM-L6-v2's size), two models with an outcome on every
 * prompt, k = 30; the median and 90th percentile of predict() over 300 queries after 100 of warm-up.
 * Embedding the request is not included (bench/route-decision.sh measures the whole decision). Then
 * what learning one outcome costs (with(): a new prompt into the full memory, the oldest forgotten).
 *   bench/predictor-scan.sh
 */
public class PredictorScan {

    public static void main(String[] args) {
        Random random = new Random(1);
        for (int size : new int[] {1_000, 10_000, 50_000, 200_000}) {
            List<SuccessPredictor.Outcome> outcomes = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                float[] v = unit(random);
                outcomes.add(new SuccessPredictor.Outcome("p" + i, v, "weak", random.nextDouble() < 0.7 ? 1 : 0));
                outcomes.add(new SuccessPredictor.Outcome("p" + i, v, "strong", random.nextDouble() < 0.8 ? 1 : 0));
            }
            // a full memory, as a route's is in its steady state: each outcome learned forgets the oldest prompt
            SuccessPredictor predictor = SuccessPredictor.train(List.of("weak", "strong"), 30, size, outcomes);
            double[] ms = new double[300];
            for (int q = -100; q < ms.length; q++) {
                float[] query = unit(random);
                long start = System.nanoTime();
                predictor.predict(query);
                if (q >= 0) {
                    ms[q] = (System.nanoTime() - start) / 1e6;
                }
            }
            Arrays.sort(ms);
            double[] learn = new double[300];
            SuccessPredictor learning = predictor;
            for (int q = -100; q < learn.length; q++) {
                float[] v = unit(random);
                long start = System.nanoTime();
                learning = learning.with("new " + q, v, "weak", 1, null);
                if (q >= 0) {
                    learn[q] = (System.nanoTime() - start) / 1e6;
                }
            }
            Arrays.sort(learn);
            System.out.printf(Locale.ROOT, "memory %,7d prompts: predict p50 %.2f ms, p90 %.2f ms; learn one outcome p50 %.3f ms, p90 %.3f ms%n",
                    size, ms[150], ms[270], learn[150], learn[270]);
        }
    }

    private static float[] unit(Random random) {
        float[] v = new float[384];
        double norm = 0;
        for (int d = 0; d < v.length; d++) {
            v[d] = (float) random.nextGaussian();
            norm += v[d] * v[d];
        }
        for (int d = 0; d < v.length; d++) {
            v[d] /= (float) Math.sqrt(norm);
        }
        return v;
    }
}
