package io.micromesh.core.routing;

import io.micromesh.core.MeshException;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.config.RoutePolicy;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.config.RouteSpec.Conditions;
import io.micromesh.core.config.RouteSpec.IntentSpec;
import io.micromesh.core.config.RouteSpec.RuleSpec;
import io.micromesh.core.config.RouteSpec.TaskRuleSpec;
import io.micromesh.core.learn.SoftmaxRegression;
import io.micromesh.core.outcomes.OutcomeStore;
import io.micromesh.core.spi.Embeddings;
import io.micromesh.core.spi.TextEncoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Chooses a model of the portfolio for a request that names a route. Hard constraints come first,
 * for every policy: a candidate must have the capabilities the request needs, the estimated prompt
 * plus {@code max_tokens} must fit its context, and it must be healthy. Then the route's policy
 * picks among the admissible ones:
 * <ul>
 *   <li>{@code fixed}: its one candidate (an alias);
 *   <li>{@code fallback}: the candidates in order, the next tried when one fails retriably;
 *   <li>{@code rules}: the model of the first rule whose conditions all hold, else the default;
 *   <li>{@code semantic}: the model of the intent that a classifier fitted on the intents' examples
 *       picks for the last user message, when the message is near enough to the examples: when the
 *       highest intent score (the mean cosine similarity of an intent's {@code top-k} nearest
 *       examples) reaches the threshold (the route's, else calibrated from its examples:
 *       {@link #threshold}); else the default;
 *   <li>{@code cost-quality}: the cheapest candidate (first in the list) whose predicted success on
 *       the request is within the route's tolerance of the best candidate's ({@link CostQualityRoute}),
 *       then the candidates after it in case it fails (or, with {@code verify}, its answer does);
 *   <li>{@code cascade}: every admissible candidate from the cheapest up; the caller verifies each
 *       answer and escalates to the next when the check fails.
 * </ul>
 * A {@code cost-quality} route's {@code tasks} name the task of a request that carries no
 * {@code x-mesh-task} (the first rule that holds) before its policy chooses; the decision carries it,
 * so that the outcome is learned and stored under it.
 * When the chosen model is not admissible, the default serves, else the first admissible candidate.
 * Semantic routes embed the request's last user message, bounded to its first and last words
 * ({@code window-words} in all), and remember the embeddings of the last
 * {@value EmbeddingCache#SIZE} windows. Thread-safe.
 */
public final class Router {

    private final Portfolio portfolio;
    private final Map<String, RouteSpec> routes = new LinkedHashMap<>();
    private final Map<String, SemanticIndex> semantic = new LinkedHashMap<>();
    private final Map<String, CostQualityRoute> costQuality = new LinkedHashMap<>();
    private final Map<String, Pattern> promptPatterns = new HashMap<>();  // the rules' prompt-matches, compiled at start-up

    /**
     * Builds the router, embedding the examples of every semantic route now (at start-up).
     *
     * and the predictors of cost-quality routes from their outcome files and the stored outcomes.
     *
     * @param encoders the in-process encoders by model id
     * @param stored   the stored outcomes of some models
     */
    public Router(List<RouteSpec> specs, Portfolio portfolio, Function<String, Optional<TextEncoder>> encoders,
                  Function<List<String>, List<OutcomeStore.Outcome>> stored) {
        this.portfolio = portfolio;
        for (RouteSpec spec : specs) {
            routes.put(spec.name(), spec);
            Stream.concat(spec.rules().stream(), spec.tasks().stream())
                    .map(Conditions::promptMatches).filter(Objects::nonNull)
                    .forEach(regex -> promptPatterns.computeIfAbsent(regex, Pattern::compile));
            if (spec.policy().embeds()) {
                TextEncoder encoder = encoders.apply(spec.encoder()).orElseThrow(() -> new IllegalStateException(
                        "route " + spec.name() + ": model " + spec.encoder() + " is not an in-process encoder"));
                if (spec.policy() == RoutePolicy.SEMANTIC) {
                    semantic.put(spec.name(), new SemanticIndex(spec, encoder));
                } else {
                    costQuality.put(spec.name(), new CostQualityRoute(spec, encoder, stored.apply(spec.candidates())));
                }
            }
        }
    }

    /** The router of a portfolio, without stored outcomes. */
    public static Router over(List<RouteSpec> routes, Portfolio portfolio) {
        return new Router(routes, portfolio, encodersOf(portfolio), models -> List.of());
    }

    /** The router of a portfolio whose cost-quality routes also start from the outcomes in {@code store}. */
    public static Router over(List<RouteSpec> routes, Portfolio portfolio, OutcomeStore store) {
        return new Router(routes, portfolio, encodersOf(portfolio), store::outcomes);
    }

    private static Function<String, Optional<TextEncoder>> encodersOf(Portfolio portfolio) {
        return id -> portfolio.model(id).map(ServedModel::backend)
                .filter(TextEncoder.class::isInstance).map(TextEncoder.class::cast);
    }

    /** The route of this name, if there is one. */
    public Optional<RouteSpec> route(String name) {
        return Optional.ofNullable(routes.get(name));
    }

    /**
     * Learns how well a model answered a prompt (its learning text, see {@link Decision#learningText()}):
     * every cost-quality route with this model among its candidates takes it into account at once.
     */
    public void learn(String model, String text, double score) {
        learn(model, text, null, score);
    }

    /** The same for a prompt of a task (null: none): cost-quality routes learn the task's prior too. */
    public void learn(String model, String text, String task, double score) {
        costQuality.values().forEach(route -> route.learn(text, task, model, score));
    }

    /** The routes, in configuration order. */
    public List<RouteSpec> routes() {
        return List.copyOf(routes.values());
    }

    /** Whether a name is a route's. */
    public boolean isRoute(String name) {
        return routes.containsKey(name);
    }

    /**
     * Decides for a request to route {@code name}.
     *
     * @return empty when {@code name} is not a route
     * @throws MeshException {@code NO_ADMISSIBLE_MODEL} when no candidate can take the request,
     *                       {@code UNAVAILABLE} when the only ones that could are unhealthy
     */
    public Optional<Decision> decide(String name, RequestFacts asked) {
        RouteSpec route = routes.get(name);
        if (route == null) {
            return Optional.empty();
        }
        int taskRule = asked.task() == null ? taskRule(route, asked) : -1;
        String setTask = taskRule < 0 ? null : route.tasks().get(taskRule).name();
        RequestFacts facts = setTask == null ? asked : asked.withTask(setTask);
        Map<String, String> excluded = new LinkedHashMap<>();
        List<ServedModel> admissible = new ArrayList<>();
        for (String id : route.candidates()) {
            ServedModel model = portfolio.model(id).orElseThrow();
            String why = Fit.exclusion(model, facts);
            if (why == null) {
                admissible.add(model);
            } else {
                excluded.put(id, why);
            }
        }
        if (admissible.isEmpty()) {
            throw noneAdmissible(route, excluded);
        }
        Map<String, Double> scores = new LinkedHashMap<>();
        Choice choice = switch (route.policy()) {
            case FIXED -> new Choice(admissible.getFirst().id(), "alias");
            case FALLBACK -> new Choice(admissible.getFirst().id(), excluded.isEmpty() ? "first of the chain"
                    : "first admissible of the chain");
            case RULES -> rules(route, facts, admissible);
            case SEMANTIC -> semantic.get(route.name()).choose(facts.lastUserText(), scores);
            case COST_QUALITY -> costQuality.get(route.name()).choose(facts, admissible, scores);
            case CASCADE -> new Choice(admissible.getFirst().id(), "cascade from the cheapest admissible");
        };
        ServedModel chosen = admissible.stream().filter(m -> m.id().equals(choice.model())).findFirst().orElse(null);
        String reason = setTask == null ? choice.reason()
                : "task " + setTask + " (tasks rule " + (taskRule + 1) + "); " + choice.reason();
        if (chosen == null) {
            chosen = admissible.stream().filter(m -> m.id().equals(route.defaultModel())).findFirst()
                    .orElse(admissible.getFirst());
            reason = reason + ", but " + choice.model() + " is excluded (" + excluded.get(choice.model()) + "); "
                    + chosen.id() + " instead";
        }
        List<ServedModel> order = new ArrayList<>();
        order.add(chosen);
        if (route.policy() == RoutePolicy.FALLBACK) {
            admissible.stream().filter(m -> !order.contains(m)).forEach(order::add);
        } else if (route.policy().escalates()) {
            // escalation: the candidates listed after the chosen one, from the cheaper up
            admissible.stream().skip(admissible.indexOf(chosen) + 1).forEach(order::add);
        }
        String learningText = null;
        if (route.learns()) {
            CostQualityRoute predicted = costQuality.get(route.name());
            learningText = predicted != null ? predicted.text(facts)
                    : facts.lastUserText() == null ? "" : window(facts.lastUserText(), RouteSpec.DEFAULT_WINDOW_WORDS);
        }
        List<Decision.Candidate> candidates = new ArrayList<>();
        for (String id : route.candidates()) {
            candidates.add(new Decision.Candidate(id, scores.get(id), excluded.get(id)));
        }
        return Optional.of(new Decision(route.name(), route.policy(), List.copyOf(order), reason, List.copyOf(candidates),
                route.verify(), learningText, facts.task()));
    }

    record Choice(String model, String reason) {
    }

    private static MeshException noneAdmissible(RouteSpec route, Map<String, String> excluded) {
        boolean onlyHealth = excluded.values().stream().allMatch(why -> why.startsWith("not healthy"));
        String message = "No model of route '" + route.name() + "' can take this request: " + excluded.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).reduce((a, b) -> a + "; " + b).orElse("") + ".";
        if (onlyHealth) {
            return MeshException.unavailable(message, Duration.ofSeconds(2)).withParam("model");
        }
        return MeshException.of(MeshException.Failure.NO_ADMISSIBLE_MODEL, message, null).withParam("model");
    }

    private Choice rules(RouteSpec route, RequestFacts facts, List<ServedModel> admissible) {
        for (int i = 0; i < route.rules().size(); i++) {
            RuleSpec rule = route.rules().get(i);
            if (holds(rule, facts)) {
                boolean ok = admissible.stream().anyMatch(m -> m.id().equals(rule.model()));
                if (ok) {
                    return new Choice(rule.model(), "rule " + (i + 1) + " matched");
                }
            }
        }
        return new Choice(route.defaultModel(), "no rule matched; default");
    }

    /** The index of the route's first task rule that holds, or -1. */
    private int taskRule(RouteSpec route, RequestFacts facts) {
        List<TaskRuleSpec> tasks = route.tasks();
        for (int i = 0; i < tasks.size(); i++) {
            if (holds(tasks.get(i), facts)) {
                return i;
            }
        }
        return -1;
    }

    private boolean holds(Conditions rule, RequestFacts facts) {
        return (rule.promptTokensOver() == null || facts.promptTokens() > rule.promptTokensOver())
                && (rule.promptTokensUnder() == null || facts.promptTokens() < rule.promptTokensUnder())
                && (rule.maxTokensOver() == null || facts.maxTokens() > rule.maxTokensOver())
                && (rule.tools() == null || rule.tools() == facts.tools())
                && (rule.responseFormat() == null || rule.responseFormat() == facts.responseFormat())
                && (rule.images() == null || rule.images() == facts.images())
                && (rule.task() == null || rule.task().equals(facts.task()))
                && (rule.user() == null || rule.user().equals(facts.user()))
                && rule.metadata().entrySet().stream().allMatch(e -> e.getValue().equals(facts.metadata().get(e.getKey())))
                && (rule.promptMatches() == null || (facts.lastUserText() != null
                        && promptPatterns.get(rule.promptMatches()).matcher(facts.lastUserText()).find()));
    }

    /** The bounded text a semantic decision embeds: at most {@code size} words, half from each end. */
    static String window(String text, int size) {
        String[] words = text.strip().split("\\s+");
        if (words.length <= size) {
            return String.join(" ", words);
        }
        int half = size / 2;
        return String.join(" ", Arrays.copyOfRange(words, 0, half)) + " "
                + String.join(" ", Arrays.copyOfRange(words, words.length - (size - half), words.length));
    }

    /**
     * The threshold a semantic route decides with, and where it comes from.
     *
     * @param value  the lowest intent score that decides
     * @param source {@code configured} (the route's {@code threshold}), {@code calibrated} (from its
     *               examples) or {@code default} (too few examples to calibrate)
     * @param detail how it was found, for people
     */
    public record Threshold(double value, String source, String detail) {
    }

    /** The threshold of a semantic route, or empty when {@code name} is not one. */
    public Optional<Threshold> threshold(String name) {
        return Optional.ofNullable(semantic.get(name)).map(SemanticIndex::threshold);
    }

    /**
     * The embedded examples of one semantic route, and its threshold. Without a configured one the
     * threshold is calibrated when the route starts, between two measures: how well the route's own
     * examples match their intent (each example of an intent with two or more scored against the
     * others, leave one out, as an unseen paraphrase would be; the {@value #OWN_QUANTILE} quantile
     * less {@value #OWN_MARGIN}), and how well unrelated text matches any intent (forty everyday
     * sentences, {@code background-utterances.txt}; their {@value #BACKGROUND_QUANTILE} quantile plus
     * {@value #BACKGROUND_MARGIN}). The threshold is the higher of the two: an intent whose examples
     * are alike gets a threshold just under them, one whose examples differ widely (so that they
     * match a paraphrase only weakly) still keeps unrelated text out. The quantiles and margins were
     * chosen on Banking77 intents and the ABCD flows of {@code config/examples/customer-service.yaml}
     * with utterances other than those they are measured on (docs/routing.md).
     *
     * <p>Whether a text is in scope is decided by the nearest examples; which intent it goes to, by a
     * {@link SoftmaxRegression} fitted on all the examples when the route starts: it tells apart
     * neighbouring intents that the nearest examples confuse (on unseen paraphrases of the ABCD
     * flows, 3 points more went to the right intent in cross-validation; docs/routing.md).
     */
    static final class SemanticIndex {

        static final double OWN_QUANTILE = 0.1;
        static final double OWN_MARGIN = 0.05;
        static final double BACKGROUND_QUANTILE = 0.95;
        static final double BACKGROUND_MARGIN = 0.02;
        private static final List<String> BACKGROUND = background();
        private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Router.class.getName());

        private final RouteSpec route;
        private final EmbeddingCache embeddings;
        private final List<float[][]> examples = new ArrayList<>();
        /** Picks the intent of an in-scope text; null for a route of one intent. */
        private final SoftmaxRegression classifier;
        private final Threshold threshold;

        SemanticIndex(RouteSpec route, TextEncoder encoder) {
            this.route = route;
            this.embeddings = new EmbeddingCache(encoder);
            for (IntentSpec intent : route.intents()) {
                examples.add(intent.examples().stream().map(encoder::embed).toArray(float[][]::new));
            }
            this.classifier = examples.size() < 2 ? null : classifier(examples);
            this.threshold = route.threshold() != null
                    ? new Threshold(route.threshold(), "configured", "the route's threshold")
                    : calibrate(examples, BACKGROUND.stream().map(encoder::embed).toList(), route.topK());
            LOG.info(() -> String.format(Locale.ROOT, "route %s: semantic threshold %.3f (%s: %s)", route.name(),
                    threshold.value(), threshold.source(), threshold.detail()));
        }

        Threshold threshold() {
            return threshold;
        }

        private static List<String> background() {
            try (var in = Router.class.getResourceAsStream("background-utterances.txt")) {
                if (in == null) {
                    throw new IllegalStateException("background-utterances.txt is not on the class path");
                }
                return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
                        .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** A classifier of the intents, fitted on their examples. */
        static SoftmaxRegression classifier(List<float[][]> intents) {
            List<float[]> rows = new ArrayList<>();
            int[] labels = new int[intents.stream().mapToInt(examples -> examples.length).sum()];
            for (int i = 0; i < intents.size(); i++) {
                for (float[] example : intents.get(i)) {
                    labels[rows.size()] = i;
                    rows.add(example);
                }
            }
            return SoftmaxRegression.fit(rows, labels, intents.size());
        }

        /** The threshold from the examples' leave-one-out scores and the background's scores (see the class comment). */
        static Threshold calibrate(List<float[][]> intents, List<float[]> background, int topK) {
            List<Double> own = new ArrayList<>();
            for (float[][] intent : intents) {
                for (int e = 0; e < intent.length && intent.length > 1; e++) {
                    float[][] others = new float[intent.length - 1][];
                    for (int o = 0, at = 0; o < intent.length; o++) {
                        if (o != e) {
                            others[at++] = intent[o];
                        }
                    }
                    own.add(topMean(intent[e], others, topK));
                }
            }
            if (own.isEmpty()) {
                return new Threshold(RouteSpec.DEFAULT_THRESHOLD, "default", "no intent has two examples to calibrate from");
            }
            List<Double> unrelated = new ArrayList<>();
            for (float[] sentence : background) {
                double best = -1;
                for (float[][] intent : intents) {
                    best = Math.max(best, topMean(sentence, intent, topK));
                }
                unrelated.add(best);
            }
            double ownQ = quantile(own, OWN_QUANTILE);
            double unrelatedQ = quantile(unrelated, BACKGROUND_QUANTILE);
            double value = Math.max(0, Math.min(1, Math.max(ownQ - OWN_MARGIN, unrelatedQ + BACKGROUND_MARGIN)));
            return new Threshold(Math.round(value * 1000) / 1000.0, "calibrated", String.format(Locale.ROOT,
                    "the higher of the examples' leave-one-out scores against their own intent (%.0fth percentile of %d: %.3f)"
                            + " less %.2f and unrelated sentences' best scores (%.0fth percentile of %d: %.3f) plus %.2f",
                    OWN_QUANTILE * 100, own.size(), ownQ, OWN_MARGIN, BACKGROUND_QUANTILE * 100, unrelated.size(), unrelatedQ,
                    BACKGROUND_MARGIN));
        }

        private static double quantile(List<Double> values, double q) {
            double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double at = q * (sorted.length - 1);
            int low = (int) Math.floor(at);
            return sorted[low] + (at - low) * (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]);
        }

        /**
         * Where a text goes: the intent the classifier picks, and whether it is in scope at all.
         *
         * @param intent      the index of the intent picked
         * @param score       the highest intent score (its nearest examples' similarity): what the threshold is compared with
         * @param intentScore the picked intent's own score
         * @param probability the classifier's probability of the picked intent (1 for a route of one intent)
         * @param nearest     the index of the intent with the highest score (usually the picked one)
         */
        record Best(int intent, double score, double intentScore, double probability, int nearest) {
        }

        /** Each intent's score for a text's embedding. */
        private double[] intentScores(float[] query) {
            double[] scores = new double[examples.size()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = topMean(query, examples.get(i), route.topK());
            }
            return scores;
        }

        /** Where a text goes, given its embedding and each intent's score for it. */
        private Best best(float[] query, double[] intentScores) {
            int nearest = indexOfMax(intentScores);
            if (classifier == null) {
                return new Best(nearest, intentScores[nearest], intentScores[nearest], 1, nearest);
            }
            double[] p = classifier.probabilities(query);
            int picked = indexOfMax(p);
            return new Best(picked, intentScores[nearest], intentScores[picked], p[picked], nearest);
        }

        /** The index of the largest value (the first, on a tie). */
        private static int indexOfMax(double[] values) {
            int best = 0;
            for (int i = 1; i < values.length; i++) {
                if (values[i] > values[best]) {
                    best = i;
                }
            }
            return best;
        }

        Best best(String text) {
            float[] query = embeddings.embed(window(text, route.windowWords()));
            return best(query, intentScores(query));
        }

        Choice choose(String text, Map<String, Double> scores) {
            if (text == null || text.isBlank()) {
                return new Choice(route.defaultModel(), "no user text; default");
            }
            float[] query = embeddings.embed(window(text, route.windowWords()));
            double[] intentScores = intentScores(query);
            for (int i = 0; i < intentScores.length; i++) {
                scores.merge(route.intents().get(i).model(), round(intentScores[i]), Math::max);
            }
            Best found = best(query, intentScores);
            if (found.score() >= threshold.value()) {
                return new Choice(route.intents().get(found.intent()).model(), picked(found));
            }
            return new Choice(route.defaultModel(), String.format(Locale.ROOT,
                    "best intent %s scored %.3f, under the threshold %.3f (%s); default",
                    route.intents().get(found.nearest()).name(), found.score(), threshold.value(), threshold.source()));
        }

        /** The reason of an in-scope decision: the intent, its score, the classifier's say and a nearer intent if any. */
        private String picked(Best found) {
            String reason = String.format(Locale.ROOT, "intent %s scored %.3f", route.intents().get(found.intent()).name(),
                    found.intentScore());
            if (classifier == null) {
                return reason;
            }
            String nearer = found.nearest() == found.intent() ? "" : String.format(Locale.ROOT, "; %s's examples are nearer, %.3f",
                    route.intents().get(found.nearest()).name(), found.score());
            return reason + String.format(Locale.ROOT, " (classifier %.2f%s)", found.probability(), nearer);
        }

        /** The mean cosine similarity of the {@code top-k} nearest examples (vectors are unit length). */
        private static double topMean(float[] query, float[][] intentExamples, int topK) {
            double[] similarities = new double[intentExamples.length];
            for (int e = 0; e < intentExamples.length; e++) {
                similarities[e] = Embeddings.dot(query, intentExamples[e]);
            }
            Arrays.sort(similarities);
            int k = Math.min(topK, similarities.length);
            double sum = 0;
            for (int i = 0; i < k; i++) {
                sum += similarities[similarities.length - 1 - i];
            }
            return sum / k;
        }

        private static double round(double value) {
            return Math.round(value * 1000) / 1000.0;
        }
    }
}
