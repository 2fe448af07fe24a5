package io.micromesh.core.routing.quality;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The trade between cost and quality when each prompt goes to a weak or a strong model: what share
 * of prompts must go to the strong model for the answers to reach a target accuracy, for a router
 * that orders prompts by a predicted chance that the weak model succeeds (lowest first to the strong
 * model), and for the baselines that frame it. Pure functions over labelled prompts.
 */
public final class CostQualityCurve {

    private CostQualityCurve() {
    }

    /** The share of prompts the weak model answers well. */
    public static double weakAccuracy(List<LabelledPrompt> prompts) {
        return prompts.stream().filter(LabelledPrompt::weak).count() / (double) prompts.size();
    }

    /** The share of prompts the strong model answers well. */
    public static double strongAccuracy(List<LabelledPrompt> prompts) {
        return prompts.stream().filter(LabelledPrompt::strong).count() / (double) prompts.size();
    }

    /**
     * Random routing: each prompt goes to the strong model with probability s, so the expected
     * accuracy is weak + s (strong - weak); the smallest s reaching {@code target} (0 when the weak
     * model already does, 1 when even all-strong does not).
     */
    public static double randomShare(List<LabelledPrompt> prompts, double target) {
        double weak = weakAccuracy(prompts);
        double strong = strongAccuracy(prompts);
        if (weak >= target) {
            return 0;
        }
        if (strong <= weak) {
            return 1;
        }
        return Math.min(1, (target - weak) / (strong - weak));
    }

    /**
     * An oracle that sends to the strong model only prompts the weak model fails and the strong one
     * answers: each such prompt adds 1/n to the accuracy. The smallest share reaching {@code target},
     * or 1 when it cannot be reached.
     */
    public static double oracleShare(List<LabelledPrompt> prompts, double target) {
        int n = prompts.size();
        long weakRight = prompts.stream().filter(LabelledPrompt::weak).count();
        long fixable = prompts.stream().filter(p -> !p.weak() && p.strong()).count();
        long needed = (long) Math.ceil(target * n - weakRight - 1e-9);
        if (needed <= 0) {
            return 0;
        }
        return needed > fixable ? 1 : needed / (double) n;
    }

    /**
     * A router that sends the prompts with the lowest predicted weak success to the strong model:
     * the smallest share of prompts sent to it at which the accuracy reaches {@code target} (1 when
     * it never does). Ties in the prediction keep the prompts' order.
     *
     * @param weakSuccess the predicted chance that the weak model succeeds, one per prompt
     */
    public static double shareAtTarget(List<LabelledPrompt> prompts, double[] weakSuccess, double target) {
        int n = prompts.size();
        if (weakSuccess.length != n) {
            throw new IllegalArgumentException(n + " prompts but " + weakSuccess.length + " predictions");
        }
        int[] order = IntStream.range(0, n).boxed()
                .sorted(Comparator.comparingDouble(i -> weakSuccess[i])).mapToInt(Integer::intValue).toArray();
        long right = prompts.stream().filter(LabelledPrompt::weak).count();
        if (right >= target * n - 1e-9) {
            return 0;
        }
        for (int k = 0; k < n; k++) {
            LabelledPrompt moved = prompts.get(order[k]);
            right += (moved.strong() ? 1 : 0) - (moved.weak() ? 1 : 0);
            if (right >= target * n - 1e-9) {
                return (k + 1) / (double) n;
            }
        }
        return 1;
    }

    /**
     * The file-prior baseline: each prompt's predicted weak success is the weak model's accuracy on
     * the training prompts of its file (the overall training accuracy for a file unseen there).
     */
    public static double[] filePrior(List<LabelledPrompt> training, List<LabelledPrompt> test) {
        Map<String, int[]> byFile = new HashMap<>();
        for (LabelledPrompt p : training) {
            int[] counts = byFile.computeIfAbsent(p.source(), s -> new int[2]);
            counts[0] += p.weak() ? 1 : 0;
            counts[1]++;
        }
        double overall = weakAccuracy(training);
        return test.stream().mapToDouble(p -> {
            int[] counts = byFile.get(p.source());
            return counts == null ? overall : counts[0] / (double) counts[1];
        }).toArray();
    }

    /**
     * The accuracy when the share {@code share} of prompts with the lowest predicted weak success
     * go to the strong model and the rest to the weak one.
     */
    public static double accuracyAtShare(List<LabelledPrompt> prompts, double[] weakSuccess, double share) {
        int n = prompts.size();
        int[] order = IntStream.range(0, n).boxed()
                .sorted(Comparator.comparingDouble(i -> weakSuccess[i])).mapToInt(Integer::intValue).toArray();
        int strongCalls = (int) Math.round(share * n);
        long right = 0;
        for (int k = 0; k < n; k++) {
            LabelledPrompt p = prompts.get(order[k]);
            right += (k < strongCalls ? p.strong() : p.weak()) ? 1 : 0;
        }
        return right / (double) n;
    }
}
