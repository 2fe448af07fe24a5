package io.micromesh.jobs.summary;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.core.learn.Logistic;
import io.micromesh.jobs.eval.Rouge;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A trained sentence scorer for extractive summaries of conversations: a logistic model over
 * {@link SentenceFeatures} that predicts how much of a reference summary each sentence carries
 * (its ROUGE-L against it), and the length budget chosen in validation. A summary is the best-scored
 * sentences that fit the budget, in the conversation's order, in reported speech. There are two
 * scorers, trained alike: one for transcripts whose turns name their speaker, one for transcripts
 * without speakers (a mono recording), where reported speech cannot name anyone and the budget that
 * suits differs. Written and read as a small JSON file ({@code mesh train summarizer}); one is built
 * in, trained on DialogSum's dev dialogues by that command (see docs/benchmarks.md for its figures
 * and how it was made).
 *
 * @param labelled   the scorer of transcripts with speaker labels
 * @param unlabelled the scorer of transcripts without them
 * @param about      how the model was made (data, seed, validation and held-out figures), kept as written
 */
public record SummarizerModel(Scorer labelled, Scorer unlabelled, ObjectNode about) {

    /**
     * One logistic scorer and its budget.
     *
     * @param weights      per feature its mean, scale and weight, then the intercept ({@link Logistic})
     * @param maxSentences the most sentences a summary takes
     * @param maxWords     the most words (ROUGE tokens) a summary takes, unless its first sentence alone is longer
     */
    public record Scorer(double[] weights, int maxSentences, int maxWords) {

        /** The predicted share of a reference summary each sentence carries. */
        public double[] scores(double[][] rows) {
            return SummarizerModel.scores(weights, rows);
        }

        ObjectNode toJson() {
            ObjectNode json = Json.object();
            ArrayNode w = json.putArray("weights");
            for (double weight : weights) {
                w.add(weight);
            }
            return json.put("max_sentences", maxSentences).put("max_words", maxWords);
        }

        static Scorer fromJson(JsonNode json, String where, int features) {
            JsonNode w = json.path("weights");
            if (!w.isArray() || w.size() != 3 * features + 1) {
                throw new IllegalArgumentException(where + ": weights must be " + (3 * features + 1) + " numbers");
            }
            double[] weights = new double[w.size()];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = w.get(i).asDouble();
            }
            int maxSentences = json.path("max_sentences").asInt(0);
            int maxWords = json.path("max_words").asInt(0);
            if (maxSentences < 1 || maxWords < 1) {
                throw new IllegalArgumentException(where + ": max_sentences and max_words must be at least 1");
            }
            return new Scorer(weights, maxSentences, maxWords);
        }
    }

    /** The file's {@code kind}. */
    static final String KIND = "micromesh-summarizer";

    private static final String BUILT_IN = "/io/micromesh/jobs/summary/summarizer.json";

    /** A summary and how sure the scorer is of it. */
    public record Summary(String text, List<Integer> sentences, double confidence) {
    }

    /** The model that ships with micromesh. */
    public static SummarizerModel builtIn() {
        try (InputStream in = SummarizerModel.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) {
                throw new IllegalStateException(BUILT_IN + " is not on the class path");
            }
            return fromJson(Json.mapper().readTree(in), BUILT_IN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a model file.
     *
     * @throws IllegalArgumentException when the file cannot be read or is not a summarizer model of this version
     */
    public static SummarizerModel read(Path file) {
        try {
            return fromJson(Json.mapper().readTree(file.toFile()), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the summarizer model " + file + ": " + e.getMessage());
        }
    }

    static SummarizerModel fromJson(JsonNode json, String where) {
        if (!KIND.equals(json.path("kind").asText())) {
            throw new IllegalArgumentException(where + " is not a summarizer model (kind is not " + KIND + ")");
        }
        List<String> features = new ArrayList<>();
        json.path("features").forEach(f -> features.add(f.asText()));
        if (!features.equals(SentenceFeatures.NAMES)) {
            throw new IllegalArgumentException(where + " was trained on other features (" + String.join(", ", features)
                    + "); retrain it with this version's mesh train summarizer");
        }
        if (!json.path("labelled").isObject() || !json.path("unlabelled").isObject()) {
            throw new IllegalArgumentException(where + " needs a labelled and an unlabelled scorer");
        }
        ObjectNode about = json.path("about").isObject() ? (ObjectNode) json.path("about") : Json.object();
        return new SummarizerModel(Scorer.fromJson(json.path("labelled"), where + ": labelled", features.size()),
                Scorer.fromJson(json.path("unlabelled"), where + ": unlabelled", features.size()), about);
    }

    /** The model as its file holds it. */
    public ObjectNode toJson() {
        ObjectNode json = Json.object().put("kind", KIND).put("version", 1);
        ArrayNode features = json.putArray("features");
        SentenceFeatures.NAMES.forEach(features::add);
        json.set("labelled", labelled.toJson());
        json.set("unlabelled", unlabelled.toJson());
        json.set("about", about);
        return json;
    }

    /** Writes the model file (pretty-printed: it is small, and read by people as well). */
    public void write(Path file) throws IOException {
        Files.writeString(file, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n");
    }

    static double[] scores(double[] weights, double[][] rows) {
        double[] scores = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            scores[i] = Logistic.apply(weights, rows[i]);
        }
        return scores;
    }

    /** The scorer for these sentences: the unlabelled one when none has a speaker. */
    public Scorer scorerFor(List<DialogueSentence> sentences) {
        return sentences.stream().anyMatch(s -> s.speaker() != null) ? labelled : unlabelled;
    }

    /** The summary of a conversation within its scorer's budget. */
    public Summary summarize(List<DialogueSentence> sentences, double[][] rows) {
        Scorer scorer = scorerFor(sentences);
        return summarize(sentences, scorer.scores(rows), scorer.maxSentences(), scorer.maxWords());
    }

    /** The summary of a conversation within another budget (null: the scorer's). */
    public Summary summarize(List<DialogueSentence> sentences, double[][] rows, Integer maxSentences, Integer maxWords) {
        Scorer scorer = scorerFor(sentences);
        return summarize(sentences, scorer.scores(rows), maxSentences == null ? scorer.maxSentences() : maxSentences,
                maxWords == null ? scorer.maxWords() : maxWords);
    }

    /**
     * The best-scored sentences that fit a budget, in the conversation's order, in reported speech.
     * Sentences that are nothing but fillers ("Okay.") are never taken.
     */
    static Summary summarize(List<DialogueSentence> sentences, double[] scores, int maxSentences, int maxWords) {
        List<DialogueSentence> ranked = sentences.stream().filter(s -> !s.reported().isEmpty())
                .sorted(Comparator.comparingDouble((DialogueSentence s) -> scores[s.index()]).reversed()
                        .thenComparingInt(DialogueSentence::index))
                .toList();
        List<DialogueSentence> chosen = new ArrayList<>();
        int words = 0;
        for (DialogueSentence s : ranked) {
            if (chosen.size() == maxSentences) {
                break;
            }
            int length = Rouge.tokens(s.reported()).size();
            if (words + length <= maxWords || chosen.isEmpty()) {
                chosen.add(s);
                words += length;
            }
        }
        chosen.sort(Comparator.comparingInt(DialogueSentence::index));
        String text = chosen.stream().map(DialogueSentence::reported).collect(Collectors.joining(" "));
        double confidence = chosen.stream().mapToDouble(s -> scores[s.index()]).average().orElse(0);
        return new Summary(text, chosen.stream().map(DialogueSentence::index).toList(), confidence);
    }
}
