package io.micromesh.cli;

import io.micromesh.api.Json;
import io.micromesh.cli.pull.ProgressReporter;
import io.micromesh.engines.onnx.EncoderBackend;
import io.micromesh.jobs.summary.SummarizerModel;
import io.micromesh.jobs.summary.SummarizerTraining;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mesh train summarizer}: fits the extractive summarizer's sentence scorer on conversations
 * with human summaries, chooses its length budget by cross-validation, reports ROUGE-L on a held-out
 * part against lead-3, and writes the model file that {@code step: extract-summary} reads.
 */
@Command(name = "summarizer",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Train the extractive summarizer (step: extract-summary) on conversations with human summaries:"
                + " DialogSum's lines (fname, dialogue, summary) or id, transcript, summary.",
                "A seeded shuffle sets --holdout conversations apart, never used to fit or choose; the rest fit a sentence"
                        + " scorer (MiniLM centrality, position, length, speaker, recurrence) whose length budget is chosen by"
                        + " --folds-fold cross-validation. Prints validation and held-out ROUGE-L against lead-3; the last line"
                        + " of output is one JSON object with the figures."})
final class TrainSummarizerCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "FILE.jsonl", required = true, description = "Conversations with human summaries.")
    Path data;

    @Option(names = "--out", paramLabel = "FILE.json", defaultValue = "summarizer.json",
            description = "Where to write the model (default: ${DEFAULT-VALUE}); use it with extract-summary's 'scorer: FILE'.")
    Path out;

    @Option(names = "--holdout", paramLabel = "N", defaultValue = "200",
            description = "Conversations set apart for the final figures (default: ${DEFAULT-VALUE}; 0: none).")
    int holdout;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "7", description = "Seed of the shuffle (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--folds", paramLabel = "K", defaultValue = "5", description = "Cross-validation folds (default: ${DEFAULT-VALUE}).")
    int folds;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "Only the first N conversations of the file (default: all).")
    int limit;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (holdout < 0 || limit < 0) {
            throw new UserError("--holdout and --limit must be at least 0");
        }
        if (folds < 2) {
            throw new UserError("--folds must be at least 2");
        }
        if (!Files.isRegularFile(data)) {
            throw new UserError("no such file: " + data);
        }
        List<SummarizerTraining.Dialogue> dialogues;
        try {
            dialogues = SummarizerTraining.read(data, limit);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        PrintWriter err = spec.commandLine().getErr();
        SummarizerTraining.Report report;
        try (EncoderBackend encoder = EncoderBackend.load("minilm")) {
            ProgressReporter progress = ProgressReporter.forConsole(err, "embedding", ProgressReporter.Unit.ITEMS, Clock.systemUTC());
            report = SummarizerTraining.train(dialogues, encoder, new SummarizerTraining.Settings(holdout, seed, folds),
                    done -> progress.progress(done, dialogues.size()));
            progress.finished(dialogues.size(), dialogues.size());
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        SummarizerModel model = report.model();
        model.about().put("data", data.getFileName().toString()).put("data_sha256", sha256(data))
                .put("dialogues", dialogues.size()).put("encoder", "all-MiniLM-L6-v2 (quantized, in process)");
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        model.write(out);

        PrintWriter o = spec.commandLine().getOut();
        printScorer(o, "with speaker labels", report.labelled(), report.heldOut());
        printScorer(o, "without speaker labels (as a mono call's transcript)", report.unlabelled(), report.heldOutUnlabelled());
        o.println("wrote " + out);
        o.println(Json.string(model.about()));
        return 0;
    }

    private void printScorer(PrintWriter o, String kind, SummarizerTraining.Trained trained, SummarizerTraining.Figures heldOut) {
        o.printf(Locale.ROOT, "%s: cross-validation on %d conversations (%d folds), ROUGE-L F1 by budget:%n", kind,
                trained.validated().dialogues(), folds);
        for (SummarizerTraining.BudgetScore b : trained.validation()) {
            o.printf(Locale.ROOT, "  %d sentences, %2d words  %.4f%s%n", b.maxSentences(), b.maxWords(), b.rougeL(),
                    b.maxSentences() == trained.scorer().maxSentences() && b.maxWords() == trained.scorer().maxWords() ? "  <- chosen" : "");
        }
        o.printf(Locale.ROOT, "  lead-3 %.4f, lead-3 in reported speech %.4f%n", trained.validated().lead3RougeL(),
                trained.validated().lead3ReportedRougeL());
        if (heldOut != null) {
            o.printf(Locale.ROOT, "  held out (%d conversations, never used to fit or choose): ROUGE-L %.4f, lead-3 %.4f (%+.4f),"
                    + " lead-3 in reported speech %.4f%n", heldOut.dialogues(), heldOut.rougeL(), heldOut.lead3RougeL(),
                    heldOut.rougeL() - heldOut.lead3RougeL(), heldOut.lead3ReportedRougeL());
        }
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
