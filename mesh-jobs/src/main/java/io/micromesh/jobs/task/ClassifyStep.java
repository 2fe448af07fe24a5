package io.micromesh.jobs.task;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.micromesh.core.spi.Embeddings;
import io.micromesh.core.spi.TextEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code step: classify}: picks a label for a text by its k nearest labelled examples in the
 * in-process encoder's space, each voting with its cosine similarity. The confidence is the winning
 * label's share of the votes: 1 when all k neighbours agree, near 1/labels when they are split.
 *
 * <pre>
 * - step: classify
 *   as: topic                    # the output field (default: classify)
 *   text: "{{transcript}}"       # a template over the record's fields; or, to label several texts alike,
 *                                # texts: {start: "{{customer.first}}", end: "{{customer.last}}"} gives {"start": label, "end": label}
 *   labels:
 *     billing: ["I was charged twice", "refund my last invoice"]
 *     shipping: ["where is my package", "my order has not arrived"]
 *   k: 5                         # neighbours that vote (default 5)
 *   min-confidence: 0.6          # below it the step is unsure (default 0.6)
 * </pre>
 */
final class ClassifyStep implements Step {

    record Settings(String text, Map<String, String> texts, Map<String, List<String>> labels, Integer k,
                    Double minConfidence) {
    }

    /** The text to classify, or null when the step classifies several named texts. */
    private final Template text;
    /** The named texts to classify, each to its own label, or empty. */
    private final Map<String, Template> texts;
    private final int k;
    private final TextEncoder encoder;
    private final List<String> exampleLabels = new ArrayList<>();
    private final List<float[]> exampleVectors = new ArrayList<>();

    private ClassifyStep(Template text, Map<String, Template> texts, Map<String, List<String>> labels, int k,
            TextEncoder encoder) {
        this.text = text;
        this.texts = texts;
        this.k = k;
        this.encoder = encoder;
        labels.forEach((label, examples) -> examples.forEach(example -> {
            exampleLabels.add(label);
            exampleVectors.add(encoder.embed(example));
        }));
    }

    static Steps.Definition define(String name, ObjectNode declaration) {
        Settings settings = Steps.settings(declaration, Settings.class);
        boolean one = settings.text() != null && !settings.text().isBlank();
        boolean several = settings.texts() != null && !settings.texts().isEmpty();
        if (one == several) {
            throw new IllegalArgumentException("give text (a template over the record's fields, e.g. \"{{transcript}}\") or texts"
                    + " (names to templates, each classified on its own), not both");
        }
        Template text = one ? Template.compile(settings.text(), "text") : null;
        Map<String, Template> texts = new LinkedHashMap<>();
        if (several) {
            settings.texts().forEach((key, template) -> texts.put(key, Template.compile(template, "texts." + key)));
        }
        Set<String> uses = new java.util.LinkedHashSet<>(one ? text.names() : Set.of());
        texts.values().forEach(t -> uses.addAll(t.names()));
        Map<String, List<String>> labels = settings.labels() == null ? Map.of() : new LinkedHashMap<>(settings.labels());
        if (labels.size() < 2) {
            throw new IllegalArgumentException("labels needs at least two labels, each with example texts");
        }
        labels.forEach((label, examples) -> {
            if (examples == null || examples.isEmpty() || examples.stream().anyMatch(e -> e == null || e.isBlank())) {
                throw new IllegalArgumentException("label '" + label + "' needs at least one non-blank example");
            }
        });
        int examples = labels.values().stream().mapToInt(List::size).sum();
        int k = settings.k() == null ? Math.min(5, examples) : settings.k();
        if (k < 1 || k > examples) {
            throw new IllegalArgumentException("k must be between 1 and the number of examples (" + examples + "), was " + k);
        }
        double minConfidence = settings.minConfidence() == null ? 0.6 : settings.minConfidence();
        if (!(minConfidence >= 0 && minConfidence <= 1)) {
            throw new IllegalArgumentException("min-confidence must be between 0 and 1");
        }
        return new Steps.Declared(name, "classify", minConfidence, uses,
                resources -> new ClassifyStep(text, texts, labels, k, resources.encoder().get()));
    }

    @Override
    public Result apply(Map<String, Object> context) {
        if (text != null) {
            return classify(text.render(context));
        }
        // several texts: an object of their labels, as sure as the least sure of them
        ObjectNode labelsByName = io.micromesh.api.Json.object();
        double confidence = 1;
        for (Map.Entry<String, Template> named : texts.entrySet()) {
            Result one = classify(named.getValue().render(context));
            labelsByName.set(named.getKey(), one.value());
            confidence = Math.min(confidence, one.confidence());
        }
        return new Result(labelsByName, confidence);
    }

    private Result classify(String input) {
        if (input.isBlank()) {
            // nothing to classify (say, the customer's turn of a mono call, whose speaker is unknown):
            // null with no confidence, not a label that would read as a judgement
            return new Result(com.fasterxml.jackson.databind.node.NullNode.getInstance(), 0);
        }
        float[] v = encoder.embed(input);
        double[] similarity = new double[exampleVectors.size()];
        Integer[] order = new Integer[similarity.length];
        for (int i = 0; i < similarity.length; i++) {
            similarity[i] = Embeddings.dot(v, exampleVectors.get(i));
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(similarity[b], similarity[a]));
        Map<String, Double> votes = new LinkedHashMap<>();
        double total = 0;
        for (int n = 0; n < k; n++) {
            // a dissimilar neighbour (cosine at or below 0) has no say, but still counts as a neighbour
            double weight = Math.max(0, similarity[order[n]]);
            votes.merge(exampleLabels.get(order[n]), weight, Double::sum);
            total += weight;
        }
        String best = exampleLabels.get(order[0]);
        for (Map.Entry<String, Double> vote : votes.entrySet()) {
            if (vote.getValue() > votes.get(best)) {
                best = vote.getKey();
            }
        }
        double confidence = total > 0 ? votes.get(best) / total : 0;
        return new Result(TextNode.valueOf(best), Math.round(confidence * 1000) / 1000.0);
    }
}
