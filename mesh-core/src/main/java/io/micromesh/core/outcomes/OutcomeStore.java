package io.micromesh.core.outcomes;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The port to the gateway's memory of how models did: labelled outcomes (from cascade verdicts and
 * client feedback) and the completions that feedback may name. mesh-store keeps them in its
 * database. Implementations are thread-safe.
 */
public interface OutcomeStore extends AutoCloseable {

    /** Where an outcome came from. */
    enum Source {
        CASCADE, FEEDBACK;

        /** The name stored with the outcome. */
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One stored outcome.
     *
     * @param model  the model that answered
     * @param prompt the text the router embeds for the prompt
     * @param score  1 good, 0 failed
     * @param task   the request's task ({@code x-mesh-task}), or null
     */
    record Outcome(String model, String prompt, double score, String task) {

        /** An outcome without a task. */
        public Outcome(String model, String prompt, double score) {
            this(model, prompt, score, null);
        }
    }

    /**
     * A completion that feedback may name.
     *
     * @param id     the response's {@code id}
     * @param route  the route that served it
     * @param model  the model that answered
     * @param prompt the text the router embeds for its prompt
     * @param task   the request's task ({@code x-mesh-task}), or null
     */
    record Completion(String id, String route, String model, String prompt, String task) {

        /** A completion without a task. */
        public Completion(String id, String route, String model, String prompt) {
            this(id, route, model, prompt, null);
        }
    }

    /** Remembers a completion so that feedback may name it. */
    void remember(Completion completion);

    /** The completion with this id, if one was remembered. */
    Optional<Completion> completion(String id);

    /** Stores a cascade verdict on a model's answer to a prompt of a task (null: none). */
    void verdict(String model, String prompt, String task, boolean passed, String detail);

    /**
     * Stores feedback on a completion, replacing earlier feedback on the same one.
     *
     * @throws IllegalArgumentException when the score is not from 0 to 1
     */
    void feedback(Completion completion, double score);

    /** The outcomes of these models, oldest first; feedback replaced later counts once, with its latest score. */
    List<Outcome> outcomes(Collection<String> models);

    @Override
    void close();
}
