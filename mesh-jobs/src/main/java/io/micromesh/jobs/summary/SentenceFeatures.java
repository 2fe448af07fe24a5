package io.micromesh.jobs.summary;

import io.micromesh.core.spi.Embeddings;
import io.micromesh.core.spi.TextEncoder;
import io.micromesh.jobs.eval.Rouge;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the summarizer knows of each sentence of a conversation: where it is, how long, who said
 * it, how much of it is content, how often its words recur in the conversation, and how close its
 * embedding (the in-process encoder) is to the conversation's centroid. Only features that survive
 * a transcript without punctuation or capitals (speech recognition) carry most of the weight:
 * position, length, recurrence and centrality.
 */
public final class SentenceFeatures {

    /** The features' names, in the order of each row; a model file lists them to be checked against. */
    public static final List<String> NAMES = List.of("position", "earliness", "first", "second", "third", "log_words",
            "content_share", "question", "first_speaker", "mean_recurrence", "recurring_share", "short", "log_sentences",
            "digits", "capitalised_share", "centrality");

    /** Words that carry no matter of their own: they count against a sentence's content share. */
    private static final Set<String> FUNCTION_WORDS = Set.of(("a an the i you he she it we they me my your to of and or but"
            + " is are was were be been am do does did have has had in on at for with that this what so oh well yes no ok"
            + " okay not just can will would could should there here how about yeah um uh sure right").split(" "));

    private SentenceFeatures() {
    }

    /** One row of {@link #NAMES} per sentence. */
    public static double[][] of(List<DialogueSentence> sentences, TextEncoder encoder) {
        int n = sentences.size();
        Map<String, Integer> recurrence = new HashMap<>();
        for (DialogueSentence s : sentences) {
            Rouge.tokens(s.body()).stream().filter(t -> !FUNCTION_WORDS.contains(t)).forEach(t -> recurrence.merge(t, 1, Integer::sum));
        }
        float[][] vectors = new float[n][];
        float[] centroid = null;
        for (int i = 0; i < n; i++) {
            String body = sentences.get(i).body();
            vectors[i] = encoder.embed(body.isBlank() ? sentences.get(i).text() : body);
            if (centroid == null) {
                centroid = new float[vectors[i].length];
            }
            for (int d = 0; d < centroid.length; d++) {
                centroid[d] += vectors[i][d];
            }
        }
        String firstSpeaker = sentences.stream().map(DialogueSentence::speaker).filter(s -> s != null).findFirst().orElse(null);
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            DialogueSentence s = sentences.get(i);
            List<String> tokens = Rouge.tokens(s.body());
            int words = tokens.size();
            List<String> content = tokens.stream().filter(t -> !FUNCTION_WORDS.contains(t)).toList();
            double meanRecurrence = content.stream().mapToInt(recurrence::get).average().orElse(0);
            long recurring = content.stream().filter(t -> recurrence.get(t) > 1).count();
            String[] written = s.body().strip().split("\\s+");
            long capitalised = 0;
            for (int w = 1; w < written.length; w++) {
                capitalised += !written[w].isEmpty() && Character.isUpperCase(written[w].charAt(0)) ? 1 : 0;
            }
            rows[i] = new double[] {
                n == 1 ? 0 : i / (n - 1.0),
                1.0 / (1 + i),
                i == 0 ? 1 : 0,
                i == 1 ? 1 : 0,
                i == 2 ? 1 : 0,
                Math.log1p(words),
                (double) content.size() / Math.max(words, 1),
                s.text().contains("?") ? 1 : 0,
                firstSpeaker != null && firstSpeaker.equals(s.speaker()) ? 1 : 0,
                meanRecurrence,
                (double) recurring / Math.max(words, 1),
                words < 4 ? 1 : 0,
                Math.log1p(n),
                s.body().chars().anyMatch(Character::isDigit) ? 1 : 0,
                (double) capitalised / Math.max(words, 1),
                centroid == null ? 0 : Embeddings.cosine(vectors[i], centroid)};
        }
        return rows;
    }
}
