package io.micromesh.core.routing;

import io.micromesh.core.ServedModel;
import io.micromesh.core.config.RoutePolicy;
import io.micromesh.core.config.VerifySpec;
import java.util.List;

/**
 * What the router decided for one request, and why.
 *
 * @param route      the route asked for
 * @param policy     its policy
 * @param order      the models to try, the chosen one first; the next ones serve when it fails (and,
 *                   when the route verifies, when its answer fails the checks)
 * @param reason     a short explanation of the choice, ASCII, fit for a header
 * @param candidates every candidate with its score (where the policy scores: semantic, its best
 *                   intent's; cost-quality, its predicted success) or why it was excluded
 * @param verify     how answers are checked before the client sees them, or null when they are not
 * @param learningText for routes that learn, the request's text that outcomes are stored under; else null
 * @param task       the request's task ({@code x-mesh-task} or a route's rules), or null
 */
public record Decision(String route, RoutePolicy policy, List<ServedModel> order, String reason, List<Candidate> candidates,
                       VerifySpec verify, String learningText, String task) {

    /**
     * One candidate of the route as the router saw it.
     *
     * @param model    its id
     * @param score    its score, for policies that score (semantic: its best intent's), else null
     * @param excluded why a hard constraint excluded it, or null when it was admissible
     */
    public record Candidate(String model, Double score, String excluded) {
    }

    /** The chosen model. */
    public ServedModel model() {
        return order.getFirst();
    }

    /** The value of the {@code x-mesh-route} response header. */
    public String header() {
        return "route=" + route + "; policy=" + policy + "; model=" + model().id() + "; reason=" + reason;
    }

    /** The header when the {@code attempt}-th model of {@link #order} (from 0) answers: after 0, a fallback. */
    public String header(int attempt) {
        return attempt == 0 ? header()
                : header() + "; fell back to " + order.get(attempt).id() + " after " + order.get(attempt - 1).id() + " failed";
    }
}
