package io.micromesh.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.engines.onnx.EncoderBackend;
import io.micromesh.jobs.eval.SummaryEval;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mesh batch eval}: ROUGE of a job's summaries against references, a lead-3 baseline, topic accuracy. */
@Command(name = "eval",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Score a job's summaries against reference summaries: ROUGE-1, ROUGE-2, ROUGE-L (F1; lower case,"
                + " a-z0-9 tokens, no stemming, as Google's rouge-score), the same for a lead-3 baseline, and topic accuracy.",
                "References: lines with id (or DialogSum's fname), summary (or summary1), and optionally topic and dialogue"
                        + " (or transcript). The last line of output is one JSON object with the figures."})
final class BatchEvalCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "OUTPUT.jsonl", description = "A job's output: lines with id and output.summary (and output.topic).")
    Path output;

    @Option(names = "--reference", paramLabel = "REF.jsonl", required = true, description = "The reference summaries.")
    Path reference;

    @Option(names = "--topic-threshold", paramLabel = "COSINE", defaultValue = "0.5",
            description = "A produced topic matches the reference's free-text topic when their all-MiniLM-L6-v2 cosine"
                    + " similarity is at least this (default: ${DEFAULT-VALUE}).")
    double topicThreshold;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!(topicThreshold > -1 && topicThreshold <= 1)) {
            throw new UserError("--topic-threshold must be a cosine similarity, at most 1");
        }
        ObjectNode figures;
        EncoderBackend[] encoder = new EncoderBackend[1];
        try {
            figures = SummaryEval.score(output, reference, () -> encoder[0] = EncoderBackend.load("minilm"), topicThreshold);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        } finally {
            if (encoder[0] != null) {
                encoder[0].close();
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%-22s %8s %8s %8s%n", "summaries (F1)", "ROUGE-1", "ROUGE-2", "ROUGE-L");
        out.printf(Locale.ROOT, "%-22s %8.4f %8.4f %8.4f%n", "produced", figures.path("rouge1").asDouble(),
                figures.path("rouge2").asDouble(), figures.path("rougeL").asDouble());
        if (figures.has("lead3_rougeL")) {
            out.printf(Locale.ROOT, "%-22s %8s %8s %8.4f%n", "lead-3 baseline", "", "", figures.path("lead3_rougeL").asDouble());
        }
        out.printf(Locale.ROOT, "items %d (%d without a produced summary, scored 0)%n", figures.path("items").asInt(),
                figures.path("missing_summaries").asInt());
        if (figures.has("topic_accuracy")) {
            out.printf(Locale.ROOT, "topic accuracy %.4f over %d items (cosine >= %s)%n", figures.path("topic_accuracy").asDouble(),
                    figures.path("topic_items").asInt(), topicThreshold);
        }
        out.println(Json.string(figures));
        return 0;
    }
}
