package io.micromesh.core.routing;

import io.micromesh.api.ApiError;
import io.micromesh.api.ApiException;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.config.Capability;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.config.RouteSpec.IntentSpec;
import io.micromesh.core.config.RouteSpec.RuleSpec;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.TextEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Chooses a model of the portfolio for a request that names a route. Hard constraints come first,
 * for every policy: a candidate must have the capabilities the request needs, the estimated prompt
 * plus {@code max_tokens} must fit its context, and it must be healthy. Then the route's policy
 * picks among the admissible ones:
 * <ul>
 *   <li>{@code fixed}: its one candidate (an alias);
 *   <li>{@code fallback}: the candidates in order, the next tried when one fails retriably;
 *   <li>{@code rules}: the model of the first rule whose conditions all hold, else the default;
 *   <li>{@code semantic}: the model of the intent whose examples are nearest to the last user
 *       message, when its score (the mean cosine similarity of its {@code top-k} nearest examples)
 *       reaches the threshold, else the default.
 * </ul>
 * When the chosen model is not admissible, the default serves, else the first admissible candidate.
 * Semantic routes embed the request's last user message, bounded to its first and last words
 * ({@code window-words} in all), and remember the embeddings of the last
 * {@value SemanticIndex#CACHE} windows. Thread-safe.
 */
public final class Router {

    private final Portfolio portfolio;
    private final Map<String, RouteSpec> routes = new LinkedHashMap<>();
    private final Map<String, SemanticIndex> semantic = new LinkedHashMap<>();

    /**
     * Builds the router, embedding the examples of every semantic route now (at start-up).
     *
     * @param encoders the in-process encoders by model id
     */
    public Router(List<RouteSpec> specs, Portfolio portfolio, Function<String, Optional<TextEncoder>> encoders) {
        this.portfolio = portfolio;
        for (RouteSpec spec : specs) {
            routes.put(spec.name(), spec);
            if (spec.policy().equals("semantic")) {
                TextEncoder encoder = encoders.apply(spec.encoder()).orElseThrow(() -> new IllegalStateException(
                        "route " + spec.name() + ": model " + spec.encoder() + " is not an in-process encoder"));
                semantic.put(spec.name(), new SemanticIndex(spec, encoder));
            }
        }
    }

    /** The router of a portfolio, whose semantic routes embed with the portfolio's in-process encoders. */
    public static Router over(List<RouteSpec> routes, Portfolio portfolio) {
        return new Router(routes, portfolio, id -> portfolio.model(id).map(ServedModel::backend)
                .filter(TextEncoder.class::isInstance).map(TextEncoder.class::cast));
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
     * @throws ApiException 400 when no candidate can take the request, 503 when the only ones that
     *                      could are unhealthy
     */
    public Optional<Decision> decide(String name, RequestFacts facts) {
        RouteSpec route = routes.get(name);
        if (route == null) {
            return Optional.empty();
        }
        Map<String, String> excluded = new LinkedHashMap<>();
        List<ServedModel> admissible = new ArrayList<>();
        for (String id : route.candidates()) {
            ServedModel model = portfolio.model(id).orElseThrow();
            String why = exclusion(model, facts);
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
            case "fixed" -> new Choice(admissible.getFirst().id(), "alias");
            case "fallback" -> new Choice(admissible.getFirst().id(), excluded.isEmpty() ? "first of the chain"
                    : "first admissible of the chain");
            case "rules" -> rules(route, facts, admissible);
            case "semantic" -> semantic.get(route.name()).choose(facts.lastUserText(), scores);
            default -> throw new IllegalStateException("unknown policy " + route.policy());
        };
        ServedModel chosen = admissible.stream().filter(m -> m.id().equals(choice.model())).findFirst().orElse(null);
        String reason = choice.reason();
        if (chosen == null) {
            chosen = admissible.stream().filter(m -> m.id().equals(route.defaultModel())).findFirst()
                    .orElse(admissible.getFirst());
            reason = reason + ", but " + choice.model() + " is excluded (" + excluded.get(choice.model()) + "); "
                    + chosen.id() + " instead";
        }
        List<ServedModel> order = new ArrayList<>();
        order.add(chosen);
        if (route.policy().equals("fallback")) {
            admissible.stream().filter(m -> !order.contains(m)).forEach(order::add);
        }
        List<Decision.Candidate> candidates = new ArrayList<>();
        for (String id : route.candidates()) {
            candidates.add(new Decision.Candidate(id, scores.get(id), excluded.get(id)));
        }
        return Optional.of(new Decision(route.name(), route.policy(), List.copyOf(order), reason, List.copyOf(candidates)));
    }

    private record Choice(String model, String reason) {
    }

    /** Why a model cannot take the request, or null when it can. */
    private static String exclusion(ServedModel model, RequestFacts facts) {
        for (Capability need : facts.needs()) {
            if (!model.spec().capabilities().contains(need)) {
                return "lacks capability " + need.key();
            }
        }
        Optional<Integer> context = model.spec().contextWindow();
        if (context.isPresent() && facts.promptTokens() + facts.maxTokens() > context.get()) {
            return "prompt (about " + facts.promptTokens() + " tokens) plus max_tokens " + facts.maxTokens()
                    + " exceeds its context of " + context.get();
        }
        BackendHealth health = model.backend().health();
        if (!health.serving()) {
            return "not healthy: " + health.state().name().toLowerCase(Locale.ROOT);
        }
        return null;
    }

    private static ApiException noneAdmissible(RouteSpec route, Map<String, String> excluded) {
        boolean onlyHealth = excluded.values().stream().allMatch(why -> why.startsWith("not healthy"));
        String message = "No model of route '" + route.name() + "' can take this request: " + excluded.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).reduce((a, b) -> a + "; " + b).orElse("") + ".";
        if (onlyHealth) {
            return new ApiException(503, new ApiError(message, "server_error", "model", "backend_unavailable"),
                    Map.of("Retry-After", "2"));
        }
        return ApiException.invalidRequest("model", "no_admissible_model", message);
    }

    private static Choice rules(RouteSpec route, RequestFacts facts, List<ServedModel> admissible) {
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

    private static boolean holds(RuleSpec rule, RequestFacts facts) {
        return (rule.promptTokensOver() == null || facts.promptTokens() > rule.promptTokensOver())
                && (rule.promptTokensUnder() == null || facts.promptTokens() < rule.promptTokensUnder())
                && (rule.maxTokensOver() == null || facts.maxTokens() > rule.maxTokensOver())
                && (rule.tools() == null || rule.tools() == facts.tools())
                && (rule.responseFormat() == null || rule.responseFormat() == facts.responseFormat())
                && (rule.images() == null || rule.images() == facts.images())
                && (rule.task() == null || rule.task().equals(facts.task()))
                && (rule.user() == null || rule.user().equals(facts.user()))
                && rule.metadata().entrySet().stream().allMatch(e -> e.getValue().equals(facts.metadata().get(e.getKey())));
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

    /** The embedded examples of one semantic route. */
    static final class SemanticIndex {

        static final int CACHE = 4096;

        private final RouteSpec route;
        private final TextEncoder encoder;
        private final List<float[][]> examples = new ArrayList<>();
        private final Map<String, float[]> recent = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
                return size() > CACHE;
            }
        };

        SemanticIndex(RouteSpec route, TextEncoder encoder) {
            this.route = route;
            this.encoder = encoder;
            for (IntentSpec intent : route.intents()) {
                examples.add(intent.examples().stream().map(encoder::embed).toArray(float[][]::new));
            }
        }

        Choice choose(String text, Map<String, Double> scores) {
            if (text == null || text.isBlank()) {
                return new Choice(route.defaultModel(), "no user text; default");
            }
            float[] query = embed(window(text, route.windowWords()));
            int best = -1;
            double bestScore = -1;
            for (int i = 0; i < examples.size(); i++) {
                double score = score(query, examples.get(i));
                scores.merge(route.intents().get(i).model(), round(score), Math::max);
                if (score > bestScore) {
                    bestScore = score;
                    best = i;
                }
            }
            IntentSpec intent = route.intents().get(best);
            if (bestScore >= route.threshold()) {
                return new Choice(intent.model(), String.format(Locale.ROOT, "intent %s scored %.3f", intent.name(), bestScore));
            }
            return new Choice(route.defaultModel(), String.format(Locale.ROOT,
                    "best intent %s scored %.3f, under the threshold %.2f; default", intent.name(), bestScore, route.threshold()));
        }

        private float[] embed(String window) {
            synchronized (recent) {
                float[] cached = recent.get(window);
                if (cached != null) {
                    return cached;
                }
            }
            float[] vector = encoder.embed(window);
            synchronized (recent) {
                recent.put(window, vector);
            }
            return vector;
        }

        /** The mean cosine similarity of the {@code top-k} nearest examples (vectors are unit length). */
        private double score(float[] query, float[][] intentExamples) {
            double[] similarities = new double[intentExamples.length];
            for (int e = 0; e < intentExamples.length; e++) {
                double dot = 0;
                for (int d = 0; d < query.length; d++) {
                    dot += query[d] * intentExamples[e][d];
                }
                similarities[e] = dot;
            }
            Arrays.sort(similarities);
            int k = Math.min(route.topK(), similarities.length);
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
