package io.micromesh.core.routing;

import io.micromesh.core.ServedModel;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.outcomes.OutcomeStore;
import io.micromesh.core.routing.quality.OutcomeFiles;
import io.micromesh.core.routing.quality.SuccessPredictor;
import io.micromesh.core.spi.TextEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * A {@code cost-quality} route's predictor and decision: each candidate's predicted success on the
 * request's window of text (and its task, {@code x-mesh-task} or a route's rules, whose prior the
 * predictor learns), and the cheapest candidate (the first in the route's list) whose
 * prediction is within the route's tolerance of the best one. It starts from the route's outcome
 * files and the outcome store, and learns each new outcome at once; the predictor's weighing is
 * refitted in the background once outcomes have grown by a tenth. Thread-safe.
 */
final class CostQualityRoute {

    private static final Logger LOG = Logger.getLogger(CostQualityRoute.class.getName());

    private final RouteSpec route;
    private final EmbeddingCache embeddings;
    private final AtomicReference<SuccessPredictor> predictor = new AtomicReference<>();
    private final AtomicInteger learnedSinceFit = new AtomicInteger();
    private final AtomicBoolean fitting = new AtomicBoolean();

    CostQualityRoute(RouteSpec route, TextEncoder encoder, List<OutcomeStore.Outcome> stored) {
        this.route = route;
        this.embeddings = new EmbeddingCache(encoder);
        List<SuccessPredictor.Outcome> outcomes = new ArrayList<>();
        List<Path> files = route.outcomeFiles().stream().map(Path::of).toList();
        if (!files.isEmpty()) {
            List<OutcomeFiles.Scored> seeds = OutcomeFiles.readScores(files, route.candidates());
            long start = System.nanoTime();
            for (OutcomeFiles.Scored seed : seeds) {
                String text = Router.window(seed.prompt(), route.windowWords());
                outcomes.add(new SuccessPredictor.Outcome(text, embeddings.embed(text), seed.model(), seed.score()));
            }
            LOG.info(() -> String.format(Locale.ROOT, "route %s: %d outcomes from %s embedded in %.1f s", route.name(),
                    seeds.size(), route.outcomeFiles(), (System.nanoTime() - start) / 1e9));
        }
        for (OutcomeStore.Outcome o : stored) {
            outcomes.add(new SuccessPredictor.Outcome(o.prompt(), embeddings.embed(o.prompt()), o.model(), o.score(), o.task()));
        }
        predictor.set(SuccessPredictor.train(route.candidates(), route.neighbours(), route.memory(), outcomes));
    }

    /** The text of a request that this route embeds, learns from and remembers. */
    String text(RequestFacts facts) {
        String last = facts.lastUserText();
        return last == null ? "" : Router.window(last, route.windowWords());
    }

    Router.Choice choose(RequestFacts facts, List<ServedModel> admissible, Map<String, Double> scores) {
        String text = text(facts);
        if (text.isBlank()) {
            return new Router.Choice(admissible.getFirst().id(), "no user text; the cheapest admissible");
        }
        SuccessPredictor current = predictor.get();
        double[] success = current.predict(embeddings.embed(text), facts.task());
        double best = -1;
        String bestModel = null;
        for (ServedModel m : admissible) {
            double p = success[current.models().indexOf(m.id())];
            scores.put(m.id(), Math.round(p * 1000) / 1000.0);
            if (p > best) {
                best = p;
                bestModel = m.id();
            }
        }
        for (ServedModel m : admissible) {
            double p = success[current.models().indexOf(m.id())];
            if (p >= best - route.tolerance() - 1e-12) {
                return new Router.Choice(m.id(), m.id().equals(bestModel)
                        ? String.format(Locale.ROOT, "predicted success %.2f, the best", p)
                        : String.format(Locale.ROOT, "predicted success %.2f, within %.2f of the best %.2f (%s)",
                        p, route.tolerance(), best, bestModel));
            }
        }
        throw new IllegalStateException("no candidate within the tolerance of the best");
    }

    /** Learns one outcome of a candidate at once; refits the weighing in the background now and then. */
    void learn(String text, String task, String model, double score) {
        if (!route.candidates().contains(model) || text.isBlank()) {
            return;
        }
        float[] vector = embeddings.embed(text);
        SuccessPredictor updated = predictor.updateAndGet(p -> p.with(text, vector, model, score, task));
        int learned = learnedSinceFit.incrementAndGet();
        if (learned * 10 >= Math.max(updated.size(), 100) && fitting.compareAndSet(false, true)) {
            learnedSinceFit.set(0);
            Thread.ofVirtual().name("refit-" + route.name()).start(() -> {
                try {
                    // outcomes learned while fitting are kept: the fit only replaces the weighing
                    SuccessPredictor fitted = predictor.get().calibrated();
                    predictor.updateAndGet(p -> p.withCalibrationOf(fitted));
                } finally {
                    fitting.set(false);
                }
            });
        }
    }

    /** The number of distinct prompts the predictor knows. */
    int known() {
        return predictor.get().size();
    }
}
