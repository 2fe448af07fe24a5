package io.micromesh.core.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One route of {@code routes:}: a virtual model name that clients ask for, and how a model of the
 * portfolio is chosen for each request. Which keys apply depends on the policy; a key that the
 * policy does not use is refused rather than ignored. Cross-checks against the portfolio (that
 * candidates exist, that the name is not a model's) are made by {@link MeshConfig}.
 *
 * @param name         the name clients use in {@code model}
 * @param policy       how a model is chosen
 * @param candidates   the models the route may choose from, from the cheapest up for {@code cost-quality}
 *                     and {@code cascade} (for {@code fixed}: exactly one)
 * @param defaultModel {@code rules}, {@code semantic}: the candidate when nothing else decides
 * @param rules        {@code rules}: conditions in order; the first that holds chooses its model
 * @param intents      {@code semantic}: intents described by example utterances
 * @param encoder      {@code semantic}: the {@code onnx} model that embeds (default: the only one)
 * @param threshold    {@code semantic}: the lowest intent score that decides (0 to 1); null: calibrated
 *                     from the route's own examples when the router starts
 * @param topK         {@code semantic}: how many of an intent's nearest examples its score averages (default 2)
 * @param windowWords  {@code semantic}, {@code cost-quality}: the most words of a message that are
 *                     embedded, half from its start and half from its end (default 64)
 * @param tolerance    {@code cost-quality}: how far below the best candidate's predicted success the
 *                     chosen (cheapest) one may be, from 0 (always the best) to 1 (always the cheapest);
 *                     default 0.05
 * @param outcomeFiles {@code cost-quality}: labelled outcomes to start from, CSV files or folders in
 *                     RouteLLM's layout whose columns are named by candidate ids
 * @param neighbours   {@code cost-quality}: prompts in the near vote of the predictor (default 30)
 * @param memory       {@code cost-quality}: the most distinct prompts the predictor remembers; the
 *                     oldest are forgotten first (default 20,000)
 * @param verify       {@code cascade} (required), {@code cost-quality} (optional): how answers are
 *                     checked; a failed check escalates to the next candidate
 * @param priority     all: the priority lane of the route's requests unless they carry
 *                     {@code x-mesh-priority} ({@code interactive}, {@code agent} or {@code batch};
 *                     default interactive)
 * @param cache        all: how the route's answers are cached (default: not at all; a model's own
 *                     {@code cache} applies to requests that name it)
 * @param tasks        {@code cost-quality}: conditions in order; the first that holds names the task of a
 *                     request that carries no {@code x-mesh-task}, whose prior the predictor then uses and learns
 */
public record RouteSpec(String name, RoutePolicy policy, List<String> candidates,
                        @JsonProperty("default") String defaultModel, List<RuleSpec> rules, List<IntentSpec> intents,
                        String encoder, Double threshold, Integer topK, Integer windowWords,
                        Double tolerance, List<String> outcomeFiles, Integer neighbours, Integer memory, VerifySpec verify,
                        String priority, CacheSpec cache, List<TaskRuleSpec> tasks) {

    /**
     * Distinct prompts a cost-quality predictor remembers by default: at 384 floats each about 31 MB,
     * and a decision's scan of them about 4 ms on a 2-core machine (50,000: 10 ms; docs/routing.md),
     * inside the 15 ms a whole decision may take with its embedding.
     */
    public static final int DEFAULT_MEMORY = 20_000;
    /** The most a cost-quality route may remember: the largest memory measured (a decision's scan: 86 ms on 2 cores). */
    public static final int MAX_MEMORY = 200_000;

    /** How far below the best predicted success the cheapest candidate may be, unless the route says otherwise. */
    public static final double DEFAULT_TOLERANCE = 0.05;
    /**
     * The score a semantic intent needs to decide when the route neither gives a threshold nor has
     * enough examples to calibrate one (no intent with two examples).
     */
    public static final double DEFAULT_THRESHOLD = 0.4;
    /**
     * Words of a message embedded by default: its first and last 32. Intents are usually stated in
     * a message's first sentences, and embedding time grows with length (measured on the 2-core
     * reference machine: about 50 ms for 256 words, 17-20 ms for 64; docs/benchmarks.md).
     */
    public static final int DEFAULT_WINDOW_WORDS = 64;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}");

    public RouteSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ConfigException("name", (name == null ? "is required" : "'" + name + "' is not allowed")
                    + "; a route name is 1-128 letters, digits and . _ : / @ + -, starting with a letter or digit");
        }
        if (policy == null) {
            throw new ConfigException("policy", "is required; allowed: " + RoutePolicy.allowed());
        }
        if (candidates == null || candidates.isEmpty()) {
            throw new ConfigException("candidates", "is required: a list of model ids");
        }
        candidates = List.copyOf(candidates);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < candidates.size(); i++) {
            if (!seen.add(candidates.get(i))) {
                throw new ConfigException("candidates[" + i + "]", "'" + candidates.get(i) + "' is listed twice");
            }
        }
        refuseUnless(policy, EnumSet.of(RoutePolicy.RULES, RoutePolicy.SEMANTIC), "default", defaultModel != null);
        refuseUnless(policy, EnumSet.of(RoutePolicy.RULES), "rules", rules != null && !rules.isEmpty());
        refuseUnless(policy, EnumSet.of(RoutePolicy.SEMANTIC), "intents", intents != null && !intents.isEmpty());
        refuseUnless(policy, EnumSet.of(RoutePolicy.SEMANTIC, RoutePolicy.COST_QUALITY), "encoder", encoder != null);
        refuseUnless(policy, EnumSet.of(RoutePolicy.SEMANTIC), "threshold", threshold != null);
        refuseUnless(policy, EnumSet.of(RoutePolicy.SEMANTIC), "top-k", topK != null);
        refuseUnless(policy, EnumSet.of(RoutePolicy.SEMANTIC, RoutePolicy.COST_QUALITY), "window-words", windowWords != null);
        refuseUnless(policy, EnumSet.of(RoutePolicy.COST_QUALITY), "tolerance", tolerance != null);
        refuseUnless(policy, EnumSet.of(RoutePolicy.COST_QUALITY), "outcome-files", outcomeFiles != null);
        refuseUnless(policy, EnumSet.of(RoutePolicy.COST_QUALITY), "neighbours", neighbours != null);
        refuseUnless(policy, EnumSet.of(RoutePolicy.COST_QUALITY), "memory", memory != null);
        refuseUnless(policy, EnumSet.of(RoutePolicy.CASCADE, RoutePolicy.COST_QUALITY), "verify", verify != null);
        refuseUnless(policy, EnumSet.of(RoutePolicy.COST_QUALITY), "tasks", tasks != null && !tasks.isEmpty());
        if (policy == RoutePolicy.FIXED && candidates.size() != 1) {
            throw new ConfigException("candidates", "a fixed route (an alias) has exactly one candidate, got "
                    + candidates.size() + "; use policy fallback for a chain");
        }
        if (policy == RoutePolicy.RULES || policy == RoutePolicy.SEMANTIC) {
            if (defaultModel == null) {
                throw new ConfigException("default", "is required for policy " + policy
                        + ": the candidate that serves when nothing else decides");
            }
            requireCandidate("default", defaultModel, candidates);
        }
        rules = rules == null ? List.of() : List.copyOf(rules);
        tasks = tasks == null ? List.of() : List.copyOf(tasks);
        intents = intents == null ? List.of() : List.copyOf(intents);
        if (policy == RoutePolicy.RULES) {
            if (rules.isEmpty()) {
                throw new ConfigException("rules", "is required for policy rules: a list of conditions with a model");
            }
            for (int i = 0; i < rules.size(); i++) {
                requireCandidate("rules[" + i + "].model", rules.get(i).model(), candidates);
            }
        }
        if (policy == RoutePolicy.SEMANTIC) {
            if (intents.isEmpty()) {
                throw new ConfigException("intents", "is required for policy semantic: intents with a model and examples");
            }
            Set<String> names = new HashSet<>();
            for (int i = 0; i < intents.size(); i++) {
                requireCandidate("intents[" + i + "].model", intents.get(i).model(), candidates);
                if (!names.add(intents.get(i).name())) {
                    throw new ConfigException("intents[" + i + "].name", "'" + intents.get(i).name() + "' is used twice");
                }
            }
            if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
                throw new ConfigException("threshold", threshold + " is not allowed; a similarity score is from 0 to 1");
            }
            // 2, not 3: better on each of four tuning sets (three Banking77 draws, the ABCD set A), by 1 to
            // 3 points of right intents, the out-of-scope share unchanged (docs/routing.md)
            topK = Checks.between("top-k", topK, 1, 100, 2);
            windowWords = Checks.between("window-words", windowWords, 8, 1024, DEFAULT_WINDOW_WORDS);
        }
        if (policy == RoutePolicy.COST_QUALITY) {
            if (tolerance != null && !(tolerance >= 0 && tolerance <= 1)) {
                throw new ConfigException("tolerance", tolerance + " is not allowed; it is a difference of"
                        + " probabilities, from 0 (always the best candidate) to 1 (always the cheapest)");
            }
            tolerance = tolerance == null ? DEFAULT_TOLERANCE : tolerance;
            outcomeFiles = outcomeFiles == null ? List.of() : List.copyOf(outcomeFiles);
            neighbours = Checks.between("neighbours", neighbours, 1, 1000, 30);
            // a decision scans the whole memory: 86 ms at 200,000 prompts on 2 cores (docs/routing.md);
            // more would want an approximate nearest-neighbour index, which the predictor does not have
            memory = Checks.between("memory", memory, 100, MAX_MEMORY, DEFAULT_MEMORY);
            windowWords = Checks.between("window-words", windowWords, 8, 1024, DEFAULT_WINDOW_WORDS);
        }
        if (priority != null && io.micromesh.core.dispatch.Lane.of(priority).isEmpty()) {
            throw new ConfigException("priority", "'" + priority + "' is not allowed; allowed: "
                    + io.micromesh.core.dispatch.Lane.allowed());
        }
        priority = priority == null ? "interactive" : priority;
        if (policy == RoutePolicy.CASCADE && verify == null) {
            verify = VerifySpec.defaults();
        }
    }

    /** The lane of the route's requests that do not name one. */
    public io.micromesh.core.dispatch.Lane lane() {
        return io.micromesh.core.dispatch.Lane.of(priority).orElseThrow();
    }

    /** Whether the route learns from outcomes: it verifies answers or predicts from outcomes. */
    public boolean learns() {
        return verify != null || policy == RoutePolicy.COST_QUALITY;
    }

    /** The same route with its encoder resolved. */
    public RouteSpec withEncoder(String encoderId) {
        return new RouteSpec(name, policy, candidates, defaultModel, rules, intents, encoderId, threshold, topK, windowWords,
                tolerance, outcomeFiles, neighbours, memory, verify, priority, cache, tasks);
    }

    private static void requireCandidate(String key, String model, List<String> candidates) {
        if (model == null || !candidates.contains(model)) {
            throw new ConfigException(key, (model == null ? "is required" : "'" + model + "' is not one of the route's candidates")
                    + " " + candidates);
        }
    }

    private static void refuseUnless(RoutePolicy policy, Set<RoutePolicy> owners, String key, boolean set) {
        if (set && !owners.contains(policy)) {
            throw new ConfigException(key, "is not used by policy " + policy + "; it applies to policy "
                    + String.join(" and ", owners.stream().map(RoutePolicy::key).sorted().toList()) + " only");
        }
    }

    /**
     * What a request must be for a rule to hold: every condition given must hold; one not given
     * holds for any request. Shared by the rules of a {@code rules} route and the task rules of a
     * {@code cost-quality} route.
     */
    public interface Conditions {
        /** A regular expression found in the last user message (Java syntax), or null. */
        String promptMatches();

        /** The estimated prompt tokens are more than this, or null. */
        Integer promptTokensOver();

        /** The estimated prompt tokens are fewer than this, or null. */
        Integer promptTokensUnder();

        /** {@code max_tokens} is more than this, or null. */
        Integer maxTokensOver();

        /** The request offers tools (true) or not (false), or null. */
        Boolean tools();

        /** The request asks for JSON output (true) or not (false), or null. */
        Boolean responseFormat();

        /** A message carries an image (true) or none does (false), or null. */
        Boolean images();

        /** The {@code user} field equals this, or null. */
        String user();

        /** Each entry equals the request's {@code metadata} entry of that key. */
        Map<String, String> metadata();

        /** The {@code x-mesh-task} header equals this, or null. */
        default String task() {
            return null;
        }
    }

    /**
     * A condition of a {@code rules} route: every key given must hold for the request; {@code model}
     * is chosen when they do.
     *
     * @param model            the candidate this rule chooses
     * @param promptMatches    a regular expression found in the last user message
     * @param promptTokensOver the estimated prompt tokens are more than this
     * @param promptTokensUnder the estimated prompt tokens are fewer than this
     * @param maxTokensOver    {@code max_tokens} is more than this
     * @param tools            the request offers tools (true) or not (false)
     * @param responseFormat   the request asks for JSON output (true) or not (false)
     * @param images           a message carries an image (true) or none does (false)
     * @param task             the {@code x-mesh-task} header equals this
     * @param user             the {@code user} field equals this
     * @param metadata         each entry equals the request's {@code metadata} entry of that key
     */
    public record RuleSpec(String model, String promptMatches, Integer promptTokensOver, Integer promptTokensUnder,
                           Integer maxTokensOver, Boolean tools, Boolean responseFormat, Boolean images, String task,
                           String user, Map<String, String> metadata) implements Conditions {
        public RuleSpec {
            metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
            checkPattern(promptMatches);
        }
    }

    /**
     * A task rule of a {@code cost-quality} route: a request without {@code x-mesh-task} for which every
     * condition given holds is of task {@code name} (a rule without conditions names the task of every
     * such request).
     *
     * @param name the task, as {@code x-mesh-task} would name it: 1-128 letters, digits or {@code ._:/+=-}
     */
    public record TaskRuleSpec(String name, String promptMatches, Integer promptTokensOver, Integer promptTokensUnder,
                               Integer maxTokensOver, Boolean tools, Boolean responseFormat, Boolean images, String user,
                               Map<String, String> metadata) implements Conditions {
        public TaskRuleSpec {
            if (name == null || !io.micromesh.core.dispatch.Caller.LABEL.matcher(name).matches()) {
                throw new ConfigException("name", (name == null ? "is required" : "'" + name + "' is not allowed")
                        + "; a task is 1-128 letters, digits or . _ : / + = -, as in the x-mesh-task header");
            }
            metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
            checkPattern(promptMatches);
        }
    }

    private static void checkPattern(String regex) {
        if (regex == null) {
            return;
        }
        try {
            Pattern.compile(regex);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new ConfigException("prompt-matches", "'" + regex + "' is not a regular expression: "
                    + e.getDescription() + " at index " + e.getIndex());
        }
    }

    /**
     * An intent of a {@code semantic} route.
     *
     * @param name     what it is called in explanations and metrics
     * @param model    the candidate that serves it
     * @param examples utterances that express it, at least one
     */
    public record IntentSpec(String name, String model, List<String> examples) {
        public IntentSpec {
            if (name == null || name.isBlank()) {
                throw new ConfigException("name", "is required");
            }
            if (examples == null || examples.isEmpty() || examples.stream().anyMatch(e -> e == null || e.isBlank())) {
                throw new ConfigException("examples", "is required: at least one non-empty example utterance");
            }
            examples = List.copyOf(examples);
        }
    }
}
