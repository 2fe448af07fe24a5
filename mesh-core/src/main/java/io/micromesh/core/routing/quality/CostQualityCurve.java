package io.micromesh.core.routing.quality;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The trade between cost and quality when each prompt goes to a weak or a strong model: what share
 * of prompts must go to the strong model for the answers to reach a target accuracy, for a router
 * that orders prompts by a score (lowest first to the strong model: the cost-quality router's score
 * is the weak model's predicted success minus the strong one's), and for the baselines that frame
 * it. Pure functions over labelled prompts.
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
     * A router that sends the prompts with the lowest score to the strong model: the smallest share
     * of prompts sent to it at which the accuracy reaches {@code target} (1 when it never does).
     * Ties in the score keep the prompts' order.
     *
     * @param weakSuccess per prompt, how much better off it is with the weak model (for example its
     *                    predicted success, or that minus the strong model's)
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
     * The file-prior baseline, deciding by the same rule as the cost-quality router: each prompt's
     * score is the weak model's accuracy on the training prompts of its file minus the strong
     * model's (for a file unseen there, the overall training accuracies).
     */
    public static double[] filePrior(List<LabelledPrompt> training, List<LabelledPrompt> test) {
        double[] weak = fileAccuracy(training, test, LabelledPrompt::weak);
        double[] strong = fileAccuracy(training, test, LabelledPrompt::strong);
        return IntStream.range(0, weak.length).mapToDouble(i -> weak[i] - strong[i]).toArray();
    }

    /**
     * A weaker file prior, the difficulty lookup: each prompt's score is only the weak model's
     * accuracy on the training prompts of its file.
     */
    public static double[] fileDifficulty(List<LabelledPrompt> training, List<LabelledPrompt> test) {
        return fileAccuracy(training, test, LabelledPrompt::weak);
    }

    private static double[] fileAccuracy(List<LabelledPrompt> training, List<LabelledPrompt> test,
                                         java.util.function.Predicate<LabelledPrompt> right) {
        Map<String, int[]> byFile = new HashMap<>();
        for (LabelledPrompt p : training) {
            int[] counts = byFile.computeIfAbsent(p.source(), s -> new int[2]);
            counts[0] += right.test(p) ? 1 : 0;
            counts[1]++;
        }
        double overall = training.stream().filter(right).count() / (double) training.size();
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
