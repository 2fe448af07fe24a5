package io.micromesh.engines.audio;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Word error rate: the word-level edit distance (substitutions, deletions, insertions) between a
 * hypothesis and a reference, divided by the reference's word count, after lower-casing and removing
 * punctuation other than apostrophes inside words.
 */
public final class WordErrorRate {

    private WordErrorRate() {
    }

    /** The words compared: lower case, letters, digits and inner apostrophes. */
    public static List<String> words(String text) {
        return Arrays.stream(text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}' ]+", " ").split("\\s+"))
                .map(w -> w.replaceAll("^'+|'+$", "")).filter(w -> !w.isEmpty()).toList();
    }

    /** The word error rate of {@code hypothesis} against {@code reference} (0 is perfect; it can exceed 1). */
    public static double of(String hypothesis, String reference) {
        List<String> h = words(hypothesis);
        List<String> r = words(reference);
        if (r.isEmpty()) {
            return h.isEmpty() ? 0 : 1;
        }
        int[] previous = new int[h.size() + 1];
        int[] current = new int[h.size() + 1];
        for (int j = 0; j <= h.size(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= r.size(); i++) {
            current[0] = i;
            for (int j = 1; j <= h.size(); j++) {
                int substitution = previous[j - 1] + (r.get(i - 1).equals(h.get(j - 1)) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return (double) previous[h.size()] / r.size();
    }
}
