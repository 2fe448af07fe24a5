package io.micromesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigException;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.config.RoutePolicy;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.routing.Router;
import io.micromesh.core.routing.SemanticRouteCheck;
import io.micromesh.engines.onnx.EncoderBackend;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mesh route check}: a semantic route's decisions on labelled utterances, offline: how many
 * go to the right intent, how many out-of-scope ones to the default, at the route's threshold
 * (configured or calibrated) and across other thresholds, and per intent where its utterances went.
 */
@Command(name = "check",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Check a semantic route on labelled utterances, offline (only its encoder is loaded): lines of"
                + " {\"text\", \"intent\"}, intent null for utterances that belong to no intent and should go to the default.",
                "Prints the route's threshold and where it comes from, the share routed right at it, per intent where its"
                        + " utterances went (where examples are missing), the misses, and a sweep of other thresholds; the last"
                        + " line of output is one JSON object."})
final class RouteCheckCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "config/mesh.yaml",
            description = "The configuration with the route (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--route", paramLabel = "NAME", required = true, description = "The semantic route.")
    String routeName;

    @Option(names = "--set", paramLabel = "FILE.jsonl", required = true, description = "The labelled utterances.")
    Path set;

    @Spec
    CommandSpec spec;

    private record Labelled(String text, String intent) {
    }

    @Override
    public Integer call() {
        MeshConfig mesh;
        try {
            mesh = ConfigLoader.withSystemEnvironment().load(config);
        } catch (ConfigException e) {
            throw new UserError(e.getMessage());
        }
        RouteSpec route = mesh.routes().stream().filter(r -> r.name().equals(routeName)).findFirst()
                .orElseThrow(() -> new UserError(config + " has no route '" + routeName + "'; it has "
                        + mesh.routes().stream().map(RouteSpec::name).toList()));
        if (route.policy() != RoutePolicy.SEMANTIC) {
            throw new UserError("route '" + route.name() + "' has policy " + route.policy() + ", not semantic; mesh route check"
                    + " tries semantic routes ('mesh route eval' measures cost-quality ones)");
        }
        List<Labelled> labelled = read(route);
        SemanticRouteCheck check;
        List<SemanticRouteCheck.Scored> scored;
        try (EncoderBackend encoder = EncoderBackend.load(route.encoder())) {
            check = new SemanticRouteCheck(route, encoder);
            scored = check.score(labelled.stream().map(Labelled::text).toList());
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Router.Threshold threshold = check.threshold();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "route %s: threshold %.3f (%s: %s)%n", route.name(), threshold.value(), threshold.source(),
                threshold.detail());
        ObjectNode figures = figures(labelled, scored, threshold.value());
        out.printf(Locale.ROOT, "in scope: %d utterances, %d to the right intent (%.3f), %d to another intent, %d to the default%n",
                figures.path("in_scope").asInt(), figures.path("right_intent").asInt(), figures.path("right_intent_share").asDouble(),
                figures.path("other_intent").asInt(), figures.path("in_scope_to_default").asInt());
        if (figures.path("out_of_scope").asInt() > 0) {
            out.printf(Locale.ROOT, "out of scope: %d utterances, %d to the default (%.3f)%n", figures.path("out_of_scope").asInt(),
                    figures.path("out_of_scope_to_default").asInt(), figures.path("out_of_scope_to_default_share").asDouble());
        }
        ArrayNode perIntent = perIntent(route, labelled, scored, threshold.value());
        out.println("per intent: utterances, to the right intent, to the default, most often instead");
        for (JsonNode intent : perIntent) {
            String instead = "-";
            var confusions = intent.path("confused_with").properties().iterator();
            int most = 0;
            while (confusions.hasNext()) {
                var confusion = confusions.next();
                if (confusion.getValue().asInt() > most) {
                    most = confusion.getValue().asInt();
                    instead = confusion.getKey() + " (" + most + ")";
                }
            }
            out.printf(Locale.ROOT, "  %-28s %4d  %4d  %4d  %s%n", intent.path("intent").asText(), intent.path("utterances").asInt(),
                    intent.path("right").asInt(), intent.path("to_default").asInt(), instead);
        }
        for (int i = 0; i < labelled.size(); i++) {
            String decided = scored.get(i).at(threshold.value());
            if (!Objects.equals(decided, labelled.get(i).intent())) {
                out.printf(Locale.ROOT, "  miss: \"%s\" (%s) -> %s (%s %.3f)%n", labelled.get(i).text(),
                        labelled.get(i).intent() == null ? "out of scope" : labelled.get(i).intent(),
                        decided == null ? "default" : decided, scored.get(i).intent(), scored.get(i).score());
            }
        }
        out.println("threshold sweep: threshold, right intent (in scope), to the default (out of scope)");
        ArrayNode sweep = Json.mapper().createArrayNode();
        for (int step = 20; step <= 80; step += 5) {
            double t = step / 100.0;
            ObjectNode at = figures(labelled, scored, t);
            sweep.add(at);
            out.printf(Locale.ROOT, "  %.2f  %.3f  %s%n", t, at.path("right_intent_share").asDouble(),
                    at.path("out_of_scope").asInt() > 0 ? String.format(Locale.ROOT, "%.3f", at.path("out_of_scope_to_default_share").asDouble())
                            : "-");
        }
        figures.put("route", route.name()).put("threshold", threshold.value()).put("threshold_source", threshold.source());
        figures.set("sweep", sweep);
        figures.set("per_intent", perIntent);
        out.println(Json.string(figures));
        return 0;
    }

    private static ObjectNode figures(List<Labelled> labelled, List<SemanticRouteCheck.Scored> scored, double threshold) {
        int inScope = 0;
        int right = 0;
        int other = 0;
        int inScopeDefault = 0;
        int outOfScope = 0;
        int outDefault = 0;
        for (int i = 0; i < labelled.size(); i++) {
            String decided = scored.get(i).at(threshold);
            if (labelled.get(i).intent() == null) {
                outOfScope++;
                outDefault += decided == null ? 1 : 0;
            } else {
                inScope++;
                if (decided == null) {
                    inScopeDefault++;
                } else if (decided.equals(labelled.get(i).intent())) {
                    right++;
                } else {
                    other++;
                }
            }
        }
        return Json.object().put("threshold", threshold).put("in_scope", inScope).put("right_intent", right)
                .put("right_intent_share", inScope == 0 ? 0 : round((double) right / inScope)).put("other_intent", other)
                .put("in_scope_to_default", inScopeDefault).put("out_of_scope", outOfScope).put("out_of_scope_to_default", outDefault)
                .put("out_of_scope_to_default_share", outOfScope == 0 ? 0 : round((double) outDefault / outOfScope));
    }

    /**
     * Per intent of the route with labelled utterances, at the threshold: how many there are, went to
     * it, went to the default, and to which other intents the rest went: where examples are missing.
     */
    private static ArrayNode perIntent(RouteSpec route, List<Labelled> labelled, List<SemanticRouteCheck.Scored> scored,
                                       double threshold) {
        ArrayNode rows = Json.mapper().createArrayNode();
        for (RouteSpec.IntentSpec intent : route.intents()) {
            int utterances = 0;
            int right = 0;
            int toDefault = 0;
            ObjectNode confused = Json.object();
            for (int i = 0; i < labelled.size(); i++) {
                if (!intent.name().equals(labelled.get(i).intent())) {
                    continue;
                }
                utterances++;
                String decided = scored.get(i).at(threshold);
                if (decided == null) {
                    toDefault++;
                } else if (decided.equals(intent.name())) {
                    right++;
                } else {
                    confused.put(decided, confused.path(decided).asInt(0) + 1);
                }
            }
            if (utterances > 0) {
                rows.add(Json.object().put("intent", intent.name()).put("utterances", utterances).put("right", right)
                        .put("to_default", toDefault).set("confused_with", confused));
            }
        }
        return rows;
    }

    private List<Labelled> read(RouteSpec route) {
        List<Json.Line> lines;
        try {
            lines = Json.lines(set);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        List<String> intents = route.intents().stream().map(RouteSpec.IntentSpec::name).toList();
        List<Labelled> labelled = new ArrayList<>();
        for (Json.Line line : lines) {
            JsonNode value = line.value();
            if (!value.path("text").isTextual() || value.path("text").asText().isBlank()) {
                throw new UserError(set + " line " + line.number() + " needs a text");
            }
            String intent = value.path("intent").isTextual() ? value.path("intent").asText() : null;
            if (intent != null && !intents.contains(intent)) {
                throw new UserError(set + " line " + line.number() + ": intent '" + intent + "' is not one of route "
                        + route.name() + "'s " + intents);
            }
            labelled.add(new Labelled(value.path("text").asText(), intent));
        }
        if (labelled.isEmpty()) {
            throw new UserError(set + " holds no utterance");
        }
        return labelled;
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
