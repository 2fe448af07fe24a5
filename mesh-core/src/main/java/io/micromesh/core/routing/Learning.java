package io.micromesh.core.routing;

import io.micromesh.core.outcomes.OutcomeStore;
import io.micromesh.core.routing.verify.Verdict;
import java.util.Optional;
import java.util.UUID;

/**
 * What the gateway learns from its routes that learn: it remembers their completions (so that
 * {@code POST /v1/feedback} can name them), stores cascade verdicts and feedback as outcomes, and
 * hands every outcome to the router at once. Without an outcome store, the router still learns
 * within the process, and feedback finds nothing. Thread-safe.
 */
public final class Learning {

    private final Router router;
    private final Optional<OutcomeStore> store;

    /** Learning for {@code router}'s routes, storing outcomes in {@code store} when there is one. */
    public Learning(Router router, Optional<OutcomeStore> store) {
        this.router = router;
        this.store = store;
    }

    /** A fresh completion id, unique across backends, for an answer of a route that learns. */
    public static String completionId() {
        return "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
    }

    /** Remembers that completion {@code id} answered a request routed by {@code decision}, by {@code model}. */
    public void remember(String id, Decision decision, String model) {
        store.ifPresent(s -> s.remember(new OutcomeStore.Completion(id, decision.route(), model, decision.learningText(),
                decision.task())));
    }

    /** Stores and learns a cascade verdict on {@code model}'s answer. */
    public void verdict(Decision decision, String model, Verdict verdict) {
        if (decision.learningText() == null || decision.learningText().isBlank()) {
            return;
        }
        store.ifPresent(s -> s.verdict(model, decision.learningText(), decision.task(), verdict.passed(), verdict.detail()));
        router.learn(model, decision.learningText(), decision.task(), verdict.passed() ? 1 : 0);
    }

    /** The remembered completion {@code id}, if any. */
    public Optional<OutcomeStore.Completion> completion(String id) {
        return store.flatMap(s -> s.completion(id));
    }

    /** Stores and learns feedback on a remembered completion. */
    public void feedback(OutcomeStore.Completion completion, double score) {
        store.ifPresent(s -> s.feedback(completion, score));
        router.learn(completion.model(), completion.prompt(), completion.task(), score);
    }
}
