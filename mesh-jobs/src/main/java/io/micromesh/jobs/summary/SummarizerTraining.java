package io.micromesh.jobs.summary;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.core.learn.Logistic;
import io.micromesh.core.spi.TextEncoder;
import io.micromesh.jobs.eval.Rouge;
import io.micromesh.jobs.task.Sentences;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;

/**
 * Trains a {@link SummarizerModel} on conversations with human summaries (DialogSum's lines:
 * {@code fname}, {@code dialogue}, {@code summary}; or {@code id}, {@code transcript}, {@code summary}).
 *
 * <p>A seeded shuffle sets {@code holdout} conversations apart before anything else: they are never
 * used to fit or to choose, and the figures reported for them are the model's figures on unseen
 * data. On the rest, each sentence's target is the ROUGE-L F1 of its reported form against the
 * conversation's summary; a logistic model is fitted to those soft targets, and the length budget
 * (sentences, words) is chosen by k-fold cross-validation grouped by conversation (a conversation's
 * sentences are never split between fitting and validation). The final model is fitted on all the
 * training conversations. Deterministic for a given seed and data.
 */
public final class SummarizerTraining {

    /** The budgets validation chooses among: most sentences × most words. */
    static final int[] SENTENCE_BUDGETS = {2, 3, 4};
    static final int[] WORD_BUDGETS = {30, 40, 50, 60};

    private SummarizerTraining() {
    }

    /** A conversation and its human summary. */
    public record Dialogue(String id, String transcript, String summary) {

        /** The conversation as a mono recording's transcript would have it: no speaker labels. */
        public Dialogue withoutSpeakers() {
            String bare = transcript.lines().map(line -> Sentences.SPEAKER.matcher(line).replaceFirst(""))
                    .collect(Collectors.joining("\n"));
            return new Dialogue(id, bare, summary);
        }
    }

    /** How to train. */
    public record Settings(int holdout, long seed, int folds) {
        public Settings {
            if (holdout < 0 || folds < 2) {
                throw new IllegalArgumentException("holdout must be at least 0 and folds at least 2");
            }
        }
    }

    /** Mean ROUGE-L F1 of a budget in cross-validation. */
    public record BudgetScore(int maxSentences, int maxWords, double rougeL) {
    }

    /** Mean ROUGE-L F1 of the model's summaries and of two baselines over a set of conversations. */
    public record Figures(int dialogues, double rougeL, double lead3RougeL, double lead3ReportedRougeL) {

        ObjectNode toJson() {
            return Json.object().put("dialogues", dialogues).put("rougeL", round(rougeL)).put("lead3_rougeL", round(lead3RougeL))
                    .put("lead3_reported_rougeL", round(lead3ReportedRougeL));
        }
    }

    /**
     * What training produced: the model, how each of its scorers was validated, and the held-out
     * figures with and without speaker labels (null without a hold-out).
     */
    public record Report(SummarizerModel model, Trained labelled, Trained unlabelled, Figures heldOut, Figures heldOutUnlabelled) {
    }

    /** The sentences of a conversation, their features, and its summary: computed once, used by every fold. */
    private record Prepared(Dialogue dialogue, List<DialogueSentence> sentences, double[][] rows, double[] targets) {
    }

    /**
     * Reads conversations with summaries.
     *
     * @param limit only the first so many (0: all)
     * @throws IllegalArgumentException when the file cannot be read, a line is not JSON, or none has a summary
     */
    public static List<Dialogue> read(Path file, int limit) {
        List<Dialogue> dialogues = new ArrayList<>();
        for (Json.Line line : Json.lines(file)) {
            if (limit > 0 && dialogues.size() == limit) {
                break;
            }
            String transcript = text(line.value(), "dialogue", "transcript");
            String summary = text(line.value(), "summary", "summary1");
            if (transcript == null || summary == null) {
                throw new IllegalArgumentException(file + " line " + line.number()
                        + " needs a dialogue (or transcript) and a summary (or summary1)");
            }
            String id = text(line.value(), "fname", "id");
            dialogues.add(new Dialogue(id == null ? "line " + line.number() : id, transcript, summary));
        }
        if (dialogues.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no conversation");
        }
        return dialogues;
    }

    /**
     * Trains a model.
     *
     * @param progress told how many conversations have been prepared (sentences embedded), as it goes
     * @throws IllegalArgumentException when too few conversations remain for the folds after the hold-out
     */
    public static Report train(List<Dialogue> dialogues, TextEncoder encoder, Settings settings, IntConsumer progress) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < dialogues.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(settings.seed()));
        int holdout = Math.min(settings.holdout(), dialogues.size());
        if (dialogues.size() - holdout < 2 * settings.folds()) {
            throw new IllegalArgumentException("only " + (dialogues.size() - holdout) + " conversations are left for training after a"
                    + " hold-out of " + holdout + "; " + settings.folds() + " folds need at least " + 2 * settings.folds());
        }
        // each sentence is embedded once: the unlabelled copies have the same sentences
        Map<String, float[]> embedded = new HashMap<>();
        TextEncoder once = text -> embedded.computeIfAbsent(text, encoder::embed);
        List<Prepared> labelled = new ArrayList<>(dialogues.size());
        List<Prepared> unlabelled = new ArrayList<>(dialogues.size());
        for (int i = 0; i < dialogues.size(); i++) {
            Dialogue dialogue = dialogues.get(order.get(i));
            labelled.add(prepare(dialogue, once));
            unlabelled.add(prepare(dialogue.withoutSpeakers(), once));
            progress.accept(i + 1);
        }
        Trained withSpeakers = trainScorer(labelled.subList(holdout, labelled.size()), settings.folds());
        Trained withoutSpeakers = trainScorer(unlabelled.subList(holdout, unlabelled.size()), settings.folds());
        SummarizerModel unannotated = new SummarizerModel(withSpeakers.scorer(), withoutSpeakers.scorer(), Json.object());
        Figures held = holdout == 0 ? null : evaluate(unannotated, labelled.subList(0, holdout));
        Figures heldUnlabelled = holdout == 0 ? null : evaluate(unannotated, unlabelled.subList(0, holdout));

        ObjectNode about = Json.object();
        about.put("seed", settings.seed()).put("folds", settings.folds()).put("training_dialogues", dialogues.size() - holdout)
                .put("held_out_dialogues", holdout).put("target", "ROUGE-L F1 of each sentence's reported form against the summary")
                .put("unlabelled", "the same conversations with their speaker labels taken out");
        about.set("validation", withSpeakers.toJson());
        about.set("validation_unlabelled", withoutSpeakers.toJson());
        if (held != null) {
            about.set("held_out", held.toJson());
            about.set("held_out_unlabelled", heldUnlabelled.toJson());
            // which conversations, so that later evaluations (from audio, say) can keep to unseen ones
            ArrayNode ids = about.putArray("held_out_ids");
            labelled.subList(0, holdout).forEach(p -> ids.add(p.dialogue().id()));
        }
        return new Report(new SummarizerModel(withSpeakers.scorer(), withoutSpeakers.scorer(), about), withSpeakers, withoutSpeakers,
                held, heldUnlabelled);
    }

    /** A scorer, each budget's validation figure, and the validated figures of the chosen budget and the baselines. */
    public record Trained(SummarizerModel.Scorer scorer, List<BudgetScore> validation, Figures validated) {

        ObjectNode toJson() {
            ObjectNode json = Json.object();
            ArrayNode budgets = json.putArray("budgets");
            validation.forEach(b -> budgets.addObject().put("max_sentences", b.maxSentences()).put("max_words", b.maxWords())
                    .put("rougeL", round(b.rougeL())));
            json.set("chosen", validated.toJson());
            return json;
        }
    }

    /** Cross-validates the budgets on training conversations, then fits the scorer on all of them. */
    private static Trained trainScorer(List<Prepared> training, int folds) {
        double[][] sums = new double[SENTENCE_BUDGETS.length][WORD_BUDGETS.length];
        for (int fold = 0; fold < folds; fold++) {
            List<Prepared> fit = new ArrayList<>();
            List<Prepared> validate = new ArrayList<>();
            for (int i = 0; i < training.size(); i++) {
                (i % folds == fold ? validate : fit).add(training.get(i));
            }
            double[] weights = fit(fit);
            for (Prepared p : validate) {
                double[] scores = SummarizerModel.scores(weights, p.rows());
                for (int s = 0; s < SENTENCE_BUDGETS.length; s++) {
                    for (int w = 0; w < WORD_BUDGETS.length; w++) {
                        String summary = SummarizerModel.summarize(p.sentences(), scores, SENTENCE_BUDGETS[s], WORD_BUDGETS[w]).text();
                        sums[s][w] += Rouge.l(summary, p.dialogue().summary()).f1();
                    }
                }
            }
        }
        List<BudgetScore> validation = new ArrayList<>();
        BudgetScore best = null;
        for (int s = 0; s < SENTENCE_BUDGETS.length; s++) {
            for (int w = 0; w < WORD_BUDGETS.length; w++) {
                BudgetScore score = new BudgetScore(SENTENCE_BUDGETS[s], WORD_BUDGETS[w], sums[s][w] / training.size());
                validation.add(score);
                if (best == null || score.rougeL() > best.rougeL()) {
                    best = score;
                }
            }
        }
        SummarizerModel.Scorer scorer = new SummarizerModel.Scorer(fit(training), best.maxSentences(), best.maxWords());
        return new Trained(scorer, validation, new Figures(training.size(), best.rougeL(), lead3(training, false), lead3(training, true)));
    }

    /** The model's and the baselines' mean ROUGE-L over conversations it was not trained on. */
    public static Figures evaluate(SummarizerModel model, List<Dialogue> dialogues, TextEncoder encoder) {
        return evaluate(model, dialogues.stream().map(d -> prepare(d, encoder)).toList());
    }

    private static Figures evaluate(SummarizerModel model, List<Prepared> dialogues) {
        double sum = 0;
        for (Prepared p : dialogues) {
            sum += Rouge.l(model.summarize(p.sentences(), p.rows()).text(), p.dialogue().summary()).f1();
        }
        return new Figures(dialogues.size(), sum / dialogues.size(), lead3(dialogues, false), lead3(dialogues, true));
    }

    private static Prepared prepare(Dialogue dialogue, TextEncoder encoder) {
        List<DialogueSentence> sentences = DialogueSentence.of(dialogue.transcript());
        double[][] rows = SentenceFeatures.of(sentences, encoder);
        double[] targets = new double[sentences.size()];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = Rouge.l(sentences.get(i).reported(), dialogue.summary()).f1();
        }
        return new Prepared(dialogue, sentences, rows, targets);
    }

    private static double[] fit(List<Prepared> dialogues) {
        List<double[]> rows = new ArrayList<>();
        List<Double> targets = new ArrayList<>();
        for (Prepared p : dialogues) {
            for (int i = 0; i < p.rows().length; i++) {
                rows.add(p.rows()[i]);
                targets.add(p.targets()[i]);
            }
        }
        return Logistic.fit(rows, targets);
    }

    /** The first three sentences as written (the usual baseline), or in reported speech. */
    private static double lead3(List<Prepared> dialogues, boolean reported) {
        double sum = 0;
        for (Prepared p : dialogues) {
            String lead = p.sentences().stream().limit(3).map(s -> reported ? s.reported() : s.text())
                    .filter(s -> !s.isEmpty()).collect(Collectors.joining(" "));
            sum += Rouge.l(lead, p.dialogue().summary()).f1();
        }
        return dialogues.isEmpty() ? 0 : sum / dialogues.size();
    }

    private static String text(JsonNode node, String... names) {
        for (String name : names) {
            if (node.path(name).isTextual() && !node.path(name).asText().isBlank()) {
                return node.path(name).asText();
            }
        }
        return null;
    }

    static double round(double value) {
        return Math.round(value * 10000) / 10000.0;
    }
}
