package io.micromesh.jobs.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.core.spi.Embeddings;
import io.micromesh.core.spi.TextEncoder;
import io.micromesh.jobs.task.Sentences;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Scores a job's summaries against reference summaries: mean ROUGE-1, ROUGE-2 and ROUGE-L F1
 * ({@link Rouge}), the same for a lead-3 baseline (the first three sentences of each transcript),
 * and, where references have topics, topic accuracy: a produced topic matches a reference topic
 * (free text) when the encoder's cosine similarity of the two is at least a threshold. Output lines
 * and references are joined on {@code id} (references: {@code id} or DialogSum's {@code fname});
 * a reference without a produced summary scores 0.
 */
public final class SummaryEval {

    private SummaryEval() {
    }

    /**
     * Scores an output file against a reference file.
     *
     * @param encoder        loads the encoder, when topics are to be matched
     * @param topicThreshold the least similarity at which a produced topic matches the reference's
     * @throws IllegalArgumentException when a file cannot be read or no line joins
     */
    public static ObjectNode score(Path output, Path references, Supplier<TextEncoder> encoder, double topicThreshold) {
        Map<String, JsonNode> produced = byId(output, "id");
        Map<String, JsonNode> refs = byId(references, "fname");
        int rouged = 0;
        int missing = 0;
        double r1 = 0;
        double r2 = 0;
        double rl = 0;
        double leadL = 0;
        int leadItems = 0;
        int topics = 0;
        int topicsRight = 0;
        TextEncoder topicEncoder = null;
        for (Map.Entry<String, JsonNode> entry : refs.entrySet()) {
            JsonNode ref = entry.getValue();
            String reference = text(ref, "summary", "summary1");
            if (reference == null) {
                continue;
            }
            JsonNode line = produced.get(entry.getKey());
            String summary = line == null ? null : producedField(line, "summary");
            rouged++;
            if (summary == null) {
                missing++;
            } else {
                r1 += Rouge.n(1, summary, reference).f1();
                r2 += Rouge.n(2, summary, reference).f1();
                rl += Rouge.l(summary, reference).f1();
            }
            String transcript = text(ref, "dialogue", "transcript");
            if (transcript != null) {
                List<String> sentences = Sentences.split(transcript);
                leadL += Rouge.l(String.join(" ", sentences.subList(0, Math.min(3, sentences.size()))), reference).f1();
                leadItems++;
            }
            String referenceTopic = text(ref, "topic");
            String topic = line == null ? null : producedField(line, "topic");
            if (referenceTopic != null && topic != null) {
                if (topicEncoder == null) {
                    topicEncoder = encoder.get();
                }
                topics++;
                if (Embeddings.cosine(topicEncoder.embed(topic), topicEncoder.embed(referenceTopic)) >= topicThreshold) {
                    topicsRight++;
                }
            }
        }
        if (rouged == 0) {
            throw new IllegalArgumentException("no reference in " + references + " has a summary (summary or summary1) to compare");
        }
        ObjectNode result = Json.object().put("items", rouged).put("missing_summaries", missing)
                .put("rouge1", round(r1 / rouged)).put("rouge2", round(r2 / rouged)).put("rougeL", round(rl / rouged));
        if (leadItems > 0) {
            result.put("lead3_rougeL", round(leadL / leadItems));
        }
        if (topics > 0) {
            result.put("topic_accuracy", round((double) topicsRight / topics)).put("topic_items", topics)
                    .put("topic_threshold", topicThreshold);
        }
        return result;
    }

    /** A field of an output line's {@code output} (or the output itself when it is text and the field is the summary). */
    private static String producedField(JsonNode line, String field) {
        JsonNode output = line.path("output");
        if (output.isTextual() && field.equals("summary")) {
            return output.asText();
        }
        JsonNode value = output.path(field);
        return value.isTextual() && !value.asText().isBlank() ? value.asText() : null;
    }

    private static String text(JsonNode node, String... names) {
        for (String name : names) {
            if (node.path(name).isTextual() && !node.path(name).asText().isBlank()) {
                return node.path(name).asText();
            }
        }
        return null;
    }

    private static Map<String, JsonNode> byId(Path file, String alternative) {
        Map<String, JsonNode> items = new LinkedHashMap<>();
        for (Json.Line line : Json.lines(file)) {
            JsonNode node = line.value();
            String id = node.path("id").isValueNode() && !node.path("id").isNull() ? node.path("id").asText()
                    : node.path(alternative).asText(null);
            if (id == null) {
                throw new IllegalArgumentException(file + " line " + line.number() + " has no id (or " + alternative + ")");
            }
            items.putIfAbsent(id, node);
        }
        return items;
    }

    private static double round(double value) {
        return Math.round(value * 10_000) / 10_000.0;
    }
}
