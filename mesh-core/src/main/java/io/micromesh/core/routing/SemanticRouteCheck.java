package io.micromesh.core.routing;

import io.micromesh.core.config.RoutePolicy;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.spi.TextEncoder;
import java.util.ArrayList;
import java.util.List;

/**
 * A semantic route's decisions on labelled utterances, offline, without its models: which intent
 * each utterance goes to (or the default), at the route's threshold and across other thresholds,
 * so that a route's examples and threshold can be checked before it serves ({@code mesh route check}).
 */
public final class SemanticRouteCheck {

    private final RouteSpec route;
    private final Router.SemanticIndex index;

    /**
     * @throws IllegalArgumentException when the route is not semantic
     */
    public SemanticRouteCheck(RouteSpec route, TextEncoder encoder) {
        if (route.policy() != RoutePolicy.SEMANTIC) {
            throw new IllegalArgumentException("route '" + route.name() + "' has policy " + route.policy() + ", not semantic");
        }
        this.route = route;
        this.index = new Router.SemanticIndex(route, encoder);
    }

    /** The threshold the route decides with. */
    public Router.Threshold threshold() {
        return index.threshold();
    }

    /**
     * Where an utterance goes, at any threshold.
     *
     * @param intent the name of the intent the route picks for it
     * @param score  the highest intent score, which the threshold is compared with
     */
    public record Scored(String intent, double score) {

        /** The intent decided at a threshold, or null for the default. */
        public String at(double threshold) {
            return score >= threshold ? intent : null;
        }
    }

    /** Where each text goes, in order. */
    public List<Scored> score(List<String> texts) {
        List<Scored> scored = new ArrayList<>(texts.size());
        for (String text : texts) {
            Router.SemanticIndex.Best best = index.best(text);
            scored.add(new Scored(route.intents().get(best.intent()).name(), best.score()));
        }
        return scored;
    }
}
