package io.micromesh.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.cli.route.EmbeddingFile;
import io.micromesh.core.routing.quality.CostQualityCurve;
import io.micromesh.core.routing.quality.LabelledPrompt;
import io.micromesh.core.routing.quality.SuccessPredictor;
import io.micromesh.core.routing.quality.OutcomeFiles;
import io.micromesh.core.spi.TextEncoder;
import io.micromesh.engines.onnx.EncoderBackend;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mesh route eval}: trains the cost-quality predictor (nearest neighbours over MiniLM
 * embeddings of the prompts) on labelled outcomes and measures, on other prompts, how few calls to
 * the strong model reach a target share of its quality, against the random, oracle and file-prior
 * baselines. Its last line of output is one JSON object.
 */
@Command(name = "eval",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Replay labelled outcomes (RouteLLM's CSV layout: a prompt column, then True/False per model)"
                + " and measure the cost-quality router against random, oracle and file-prior routing.",
                "The last line of output is one JSON object with the figures."})
final class RouteEvalCommand implements Callable<Integer> {

    @Option(names = "--train", paramLabel = "PATH", arity = "1..*", required = true,
            description = "CSV files or folders of them to train on.")
    List<Path> train;

    @Option(names = "--test", paramLabel = "PATH", arity = "1..*",
            description = "CSV files or folders of them to test on (or --cv).")
    List<Path> test;

    @Option(names = "--strong", paramLabel = "MODEL", required = true, description = "The strong model's column.")
    String strong;

    @Option(names = "--weak", paramLabel = "MODEL", required = true, description = "The weak model's column.")
    String weak;

    @Option(names = "--target", paramLabel = "FRACTION", defaultValue = "0.95",
            description = "The quality to reach, as a fraction of the strong model's accuracy (default: ${DEFAULT-VALUE}).")
    double target;

    @Option(names = "--cv", paramLabel = "K", description = "K-fold cross-validation on --train instead of --test.")
    Integer folds;

    @Option(names = "--group-by-file", description = "With --cv: keep whole files together, so that each fold tests"
            + " on kinds of prompts it never trained on.")
    boolean groupByFile;

    @Option(names = "--task-from-file", description = "Also give each prompt its file as its task (x-mesh-task):"
            + " the predictor learns each task's prior; reports both figures (with tasks and label-free).")
    boolean taskFromFile;

    @Option(names = "--neighbours", paramLabel = "K", defaultValue = "30",
            description = "Neighbours in the near vote; the wide vote takes ten times as many (default: ${DEFAULT-VALUE}).")
    int neighbours;

    @Option(names = "--embedding-cache", paramLabel = "FILE",
            description = "Keep the prompts' embeddings in FILE between runs (embedding is most of an evaluation's time).")
    Path embeddingCache;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of the folds (default: ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    /** The figures of one evaluation; {@code withTasks} and its Brier score are NaN without --task-from-file. */
    private record Figures(int prompts, double weak, double strong, double targetQuality, double router,
                           double random, double oracle, double filePrior, double fileDifficulty, double withTasks,
                           double brier, double brierWithTasks) {
    }

    /** Each test prompt's predicted success of the weak and the strong model. */
    private record Predicted(double[] weak, double[] strong) {

        double[] difference() {
            double[] d = new double[weak.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = weak[i] - strong[i];
            }
            return d;
        }
    }

    /** Reliability counts: per tenth of predicted probability, [count, sum of predictions, sum of outcomes]. */
    private final double[][] reliability = new double[10][3];
    private final double[][] reliabilityWithTasks = new double[10][3];

    @Override
    public Integer call() {
        if ((test == null) == (folds == null)) {
            throw new UserError("give --test PATH... or --cv K");
        }
        if (folds != null && folds < 2) {
            throw new UserError("--cv must be at least 2, got " + folds);
        }
        if (!(target > 0 && target <= 1)) {
            throw new UserError("--target must be in (0, 1], got " + target);
        }
        if (groupByFile && folds == null) {
            throw new UserError("--group-by-file goes with --cv");
        }
        PrintWriter out = spec.commandLine().getOut();
        List<LabelledPrompt> training;
        List<LabelledPrompt> testing;
        try {
            training = OutcomeFiles.read(train, weak, strong);
            testing = test == null ? List.of() : OutcomeFiles.read(test, weak, strong);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Map<LabelledPrompt, float[]> vectors = embed(training, testing, out);
        List<Figures> results = new ArrayList<>();
        if (folds == null) {
            Evaluation evaluation = evaluate(training, testing, vectors);
            results.add(evaluation.figures());
            printCurve(out, testing, evaluation.curve());
        } else {
            for (List<LabelledPrompt>[] split : folds(training)) {
                results.add(evaluate(split[0], split[1], vectors).figures());
            }
        }
        ObjectNode json = summary(results);
        printReliability(out, "label-free", reliability);
        if (taskFromFile) {
            printReliability(out, "with each file as a task", reliabilityWithTasks);
        }
        out.printf(Locale.ROOT, "strong share at %.0f%% of the strong model's quality: router %.3f%s, file prior %.3f,"
                        + " random %.3f, oracle %.3f%n", target * 100, json.path("strong_share_at_target").asDouble(),
                taskFromFile ? String.format(Locale.ROOT, " (with tasks %.3f)", json.path("task_strong_share_at_target").asDouble()) : "",
                json.path("file_prior_strong_share").asDouble(), json.path("random_strong_share").asDouble(),
                json.path("oracle_strong_share").asDouble());
        out.println(Json.string(json));
        out.flush();
        return 0;
    }

    private Map<LabelledPrompt, float[]> embed(List<LabelledPrompt> training, List<LabelledPrompt> testing, PrintWriter out) {
        Map<LabelledPrompt, float[]> vectors = new IdentityHashMap<>();
        List<LabelledPrompt> all = new ArrayList<>(training);
        all.addAll(testing);
        TextEncoder encoder = EncoderBackend.load("minilm");
        EmbeddingFile cache = null;
        try {
            cache = embeddingCache == null ? null : EmbeddingFile.open(embeddingCache, "minilm", encoder);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new UserError(e.getMessage());
        }
        java.util.function.Function<String, float[]> embedder = cache == null ? encoder::embed : cache::embed;
        long start = System.nanoTime();
        try {
            for (int i = 0; i < all.size(); i++) {
                vectors.put(all.get(i), embedder.apply(all.get(i).prompt()));
                if ((i + 1) % 1000 == 0) {
                    out.printf(Locale.ROOT, "embedded %d of %d prompts (%.0f s)%n", i + 1, all.size(),
                            (System.nanoTime() - start) / 1e9);
                    out.flush();
                }
            }
        } finally {
            if (cache != null) {
                cache.close();
            }
        }
        return vectors;
    }

    /** The figures of one evaluation, and the decision scores its cost-quality curve is drawn from. */
    private record Evaluation(Figures figures, double[] curve) {
    }

    private Evaluation evaluate(List<LabelledPrompt> training, List<LabelledPrompt> testing, Map<LabelledPrompt, float[]> vectors) {
        Predicted labelFree = predict(training, testing, vectors, false);
        Predicted tasked = taskFromFile ? predict(training, testing, vectors, true) : null;
        double quality = target * CostQualityCurve.strongAccuracy(testing);
        Figures figures = new Figures(testing.size(), CostQualityCurve.weakAccuracy(testing), CostQualityCurve.strongAccuracy(testing),
                quality, CostQualityCurve.shareAtTarget(testing, labelFree.difference(), quality),
                CostQualityCurve.randomShare(testing, quality), CostQualityCurve.oracleShare(testing, quality),
                CostQualityCurve.shareAtTarget(testing, CostQualityCurve.filePrior(training, testing), quality),
                CostQualityCurve.shareAtTarget(testing, CostQualityCurve.fileDifficulty(training, testing), quality),
                tasked == null ? Double.NaN : CostQualityCurve.shareAtTarget(testing, tasked.difference(), quality),
                brier(testing, labelFree), tasked == null ? Double.NaN : brier(testing, tasked));
        countReliability(testing, labelFree, reliability);
        if (tasked != null) {
            countReliability(testing, tasked, reliabilityWithTasks);
        }
        return new Evaluation(figures, (tasked == null ? labelFree : tasked).difference());
    }

    /** The Brier score of both models' predicted success: the mean squared error against 1 or 0. */
    private static double brier(List<LabelledPrompt> testing, Predicted predicted) {
        double sum = 0;
        for (int i = 0; i < testing.size(); i++) {
            sum += Math.pow(predicted.weak()[i] - (testing.get(i).weak() ? 1 : 0), 2);
            sum += Math.pow(predicted.strong()[i] - (testing.get(i).strong() ? 1 : 0), 2);
        }
        return sum / (2.0 * testing.size());
    }

    /** Adds both models' predictions to the reliability counts: per tenth, [count, sum of predictions, sum of outcomes]. */
    private static void countReliability(List<LabelledPrompt> testing, Predicted predicted, double[][] bins) {
        for (int i = 0; i < testing.size(); i++) {
            count(bins, predicted.weak()[i], testing.get(i).weak());
            count(bins, predicted.strong()[i], testing.get(i).strong());
        }
    }

    private static void count(double[][] bins, double p, boolean succeeded) {
        double[] bin = bins[Math.min(9, (int) (p * 10))];
        bin[0]++;
        bin[1] += p;
        bin[2] += succeeded ? 1 : 0;
    }

    /** Per test prompt, each model's predicted success; with {@code tasks}, each prompt's file is its task. */
    private Predicted predict(List<LabelledPrompt> training, List<LabelledPrompt> testing, Map<LabelledPrompt, float[]> vectors,
                              boolean tasks) {
        List<SuccessPredictor.Outcome> outcomes = new ArrayList<>();
        for (LabelledPrompt p : training) {
            String task = tasks ? p.source() : null;
            outcomes.add(new SuccessPredictor.Outcome(p.prompt(), vectors.get(p), weak, p.weak() ? 1 : 0, task));
            outcomes.add(new SuccessPredictor.Outcome(p.prompt(), vectors.get(p), strong, p.strong() ? 1 : 0, task));
        }
        SuccessPredictor predictor = SuccessPredictor.train(List.of(weak, strong), neighbours, outcomes);
        double[] weakSuccess = new double[testing.size()];
        double[] strongSuccess = new double[testing.size()];
        for (int i = 0; i < testing.size(); i++) {
            double[] success = predictor.predict(vectors.get(testing.get(i)), tasks ? testing.get(i).source() : null);
            weakSuccess[i] = success[0];
            strongSuccess[i] = success[1];
        }
        return new Predicted(weakSuccess, strongSuccess);
    }

    private static void printCurve(PrintWriter out, List<LabelledPrompt> testing, double[] predicted) {
        double strongAccuracy = CostQualityCurve.strongAccuracy(testing);
        out.println("strong share  accuracy  quality (of strong)");
        for (int tenth = 0; tenth <= 10; tenth++) {
            double accuracy = CostQualityCurve.accuracyAtShare(testing, predicted, tenth / 10.0);
            out.printf(Locale.ROOT, "%11.0f%%  %8.3f  %18.1f%%%n", tenth * 10.0, accuracy, 100 * accuracy / strongAccuracy);
        }
    }

    @SuppressWarnings("unchecked")
    private List<List<LabelledPrompt>[]> folds(List<LabelledPrompt> all) {
        Random random = new Random(seed);
        List<List<LabelledPrompt>> groups = new ArrayList<>();
        if (groupByFile) {
            Map<String, List<LabelledPrompt>> byFile = new LinkedHashMap<>();
            all.forEach(p -> byFile.computeIfAbsent(p.source(), s -> new ArrayList<>()).add(p));
            groups.addAll(byFile.values());
            if (groups.size() < folds) {
                throw new UserError("--cv " + folds + " with --group-by-file needs at least " + folds + " files, got "
                        + groups.size());
            }
        } else {
            all.forEach(p -> groups.add(List.of(p)));
        }
        Collections.shuffle(groups, random);
        List<List<LabelledPrompt>[]> splits = new ArrayList<>();
        for (int f = 0; f < folds; f++) {
            List<LabelledPrompt> in = new ArrayList<>();
            List<LabelledPrompt> out = new ArrayList<>();
            for (int g = 0; g < groups.size(); g++) {
                (g % folds == f ? out : in).addAll(groups.get(g));
            }
            splits.add(new List[] {in, out});
        }
        return splits;
    }

    private ObjectNode summary(List<Figures> results) {
        ObjectNode json = Json.object();
        json.put("test_prompts", results.stream().mapToInt(Figures::prompts).sum());
        put(json, "weak_accuracy", results.stream().mapToDouble(Figures::weak).toArray());
        put(json, "strong_accuracy", results.stream().mapToDouble(Figures::strong).toArray());
        put(json, "target_quality", results.stream().mapToDouble(Figures::targetQuality).toArray());
        put(json, "strong_share_at_target", results.stream().mapToDouble(Figures::router).toArray());
        put(json, "random_strong_share", results.stream().mapToDouble(Figures::random).toArray());
        put(json, "oracle_strong_share", results.stream().mapToDouble(Figures::oracle).toArray());
        put(json, "file_prior_strong_share", results.stream().mapToDouble(Figures::filePrior).toArray());
        put(json, "file_difficulty_strong_share", results.stream().mapToDouble(Figures::fileDifficulty).toArray());
        put(json, "brier", results.stream().mapToDouble(Figures::brier).toArray());
        if (taskFromFile) {
            put(json, "task_strong_share_at_target", results.stream().mapToDouble(Figures::withTasks).toArray());
            put(json, "task_brier", results.stream().mapToDouble(Figures::brierWithTasks).toArray());
        }
        json.put("target", target).put("folds", results.size()).put("group_by_file", groupByFile)
                .put("weak", weak).put("strong", strong).put("neighbours", neighbours).put("task_from_file", taskFromFile);
        return json;
    }

    /** How well predicted probabilities match what happened: per tenth, the mean prediction and the observed rate. */
    private static void printReliability(PrintWriter out, String label, double[][] bins) {
        out.printf(Locale.ROOT, "reliability (%s; both models' predicted success on the test prompts):%n", label);
        out.println("  predicted   count  mean predicted  observed");
        for (int b = 0; b < bins.length; b++) {
            if (bins[b][0] > 0) {
                out.printf(Locale.ROOT, "  %.1f-%.1f  %7.0f  %14.3f  %8.3f%n", b / 10.0, (b + 1) / 10.0, bins[b][0],
                        bins[b][1] / bins[b][0], bins[b][2] / bins[b][0]);
            }
        }
    }

    /** The mean (and, over folds, its standard deviation as {@code KEY_sd}). */
    private static void put(ObjectNode json, String key, double[] values) {
        double mean = java.util.Arrays.stream(values).average().orElse(0);
        json.put(key, Math.round(mean * 10000) / 10000.0);
        if (values.length > 1) {
            double variance = java.util.Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum() / (values.length - 1);
            json.put(key + "_sd", Math.round(Math.sqrt(variance) * 10000) / 10000.0);
        }
    }
}
