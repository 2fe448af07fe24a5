package io.micromesh.jobs.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ROUGE scores of a candidate text against a reference, with the settings of Google's
 * {@code rouge-score} package by default: lower case, every run of characters other than
 * {@code a-z0-9} a token boundary, no stemming, no stop-word removal; ROUGE-N by clipped n-gram
 * overlap, ROUGE-L by the longest common subsequence of the whole texts (its {@code rougeL}, not
 * the newline-split {@code rougeLsum}). Each score is precision, recall and F1.
 *
 * <p>Written by hand: the scoring is thirty lines, and the Java ROUGE packages on Maven Central are
 * unmaintained research code with other tokenizations.
 */
public final class Rouge {

    /** Precision, recall and their harmonic mean, each in [0, 1]. */
    public record Score(double precision, double recall, double f1) {

        static Score of(double overlap, int candidate, int reference) {
            double p = candidate == 0 ? 0 : overlap / candidate;
            double r = reference == 0 ? 0 : overlap / reference;
            return new Score(p, r, p + r == 0 ? 0 : 2 * p * r / (p + r));
        }
    }

    private Rouge() {
    }

    /** The tokens ROUGE compares: lower case, split on anything but {@code a-z0-9}. */
    public static List<String> tokens(String text) {
        return Arrays.stream(text.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")).filter(t -> !t.isEmpty()).toList();
    }

    /** ROUGE-N: the overlap of n-grams (each counted at most as often as in the other text). */
    public static Score n(int n, String candidate, String reference) {
        Map<List<String>, Integer> c = grams(tokens(candidate), n);
        Map<List<String>, Integer> r = grams(tokens(reference), n);
        int overlap = 0;
        for (Map.Entry<List<String>, Integer> gram : c.entrySet()) {
            overlap += Math.min(gram.getValue(), r.getOrDefault(gram.getKey(), 0));
        }
        return Score.of(overlap, c.values().stream().mapToInt(Integer::intValue).sum(),
                r.values().stream().mapToInt(Integer::intValue).sum());
    }

    /** ROUGE-L: the longest common subsequence of the two token sequences. */
    public static Score l(String candidate, String reference) {
        List<String> c = tokens(candidate);
        List<String> r = tokens(reference);
        return Score.of(lcs(c, r), c.size(), r.size());
    }

    private static Map<List<String>, Integer> grams(List<String> tokens, int n) {
        Map<List<String>, Integer> grams = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            grams.merge(new ArrayList<>(tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return grams;
    }

    static int lcs(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (String x : a) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = x.equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.size()];
    }
}
