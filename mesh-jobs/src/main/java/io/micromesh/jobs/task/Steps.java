package io.micromesh.jobs.task;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.core.spi.TextEncoder;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The micro-model steps a task file may name, by kind. Each kind checks its settings when the task
 * is loaded (an unknown kind, an unknown key or a bad value refuses the task before the job starts)
 * and is prepared once per job, with what it needs of the process (the in-process encoder).
 */
public final class Steps {

    /** A step as a task declares it: checked, not yet prepared. */
    public interface Definition {

        /** The output field the step fills (its {@code as}, by default its kind with {@code _} for {@code -}). */
        String name();

        /** The step's kind, for example {@code classify}. */
        String kind();

        /** Below this confidence the step is unsure, and a task with {@code model: if-unsure} asks the model. */
        double minConfidence();

        /** The fields (of the record or of earlier steps) the step reads. */
        Set<String> uses();

        /** The step, ready to run: loads or computes what it needs. */
        Step prepare(Resources resources);
    }

    /**
     * What a job's process offers its steps.
     *
     * @param encoder the in-process sentence encoder, loaded on first use
     */
    public record Resources(Supplier<TextEncoder> encoder) {
    }

    /**
     * A definition made of its parts: what most steps need.
     *
     * @param prepare makes the step, ready to run, from what the process offers
     */
    record Declared(String name, String kind, double minConfidence, Set<String> uses,
                    Function<Resources, Step> prepare) implements Definition {

        @Override
        public Step prepare(Resources resources) {
            return prepare.apply(resources);
        }
    }

    /**
     * A step's settings read into their record.
     *
     * @throws IllegalArgumentException naming an unknown key or a bad value
     */
    static <T> T settings(ObjectNode declaration, Class<T> type) {
        try {
            return SETTINGS.treeToValue(declaration, type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage());
        }
    }

    /**
     * A step's {@code text}: required, a template over the record's fields.
     *
     * @throws IllegalArgumentException when it is missing or not a template
     */
    static Template text(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("text is required: a template over the record's fields, e.g. \"{{transcript}}\"");
        }
        return Template.compile(text, "text");
    }

    /** Makes a definition from a step's name and its settings (the declaration without {@code step} and {@code as}). */
    @FunctionalInterface
    interface Kind {
        Definition define(String name, ObjectNode settings);
    }

    private static final Map<String, Kind> KINDS = Map.of("classify", ClassifyStep::define, "redact-pii", RedactPiiStep::define,
            "entities", EntitiesStep::define, "extract-summary", ExtractSummaryStep::define,
            "speaker-turns", SpeakerTurnsStep::define);

    /** Reads settings with kebab-case keys, refusing keys a step does not know. */
    static final ObjectMapper SETTINGS = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Steps() {
    }

    /** The kinds of step there are. */
    public static Set<String> kinds() {
        return new TreeSet<>(KINDS.keySet());
    }

    /**
     * Checks one step declaration of a task: {@code step} (the kind), optional {@code as} (the
     * output field) and the kind's own settings.
     *
     * @throws IllegalArgumentException naming the problem
     */
    public static Definition define(JsonNode declaration) {
        if (declaration == null || !declaration.isObject()) {
            throw new IllegalArgumentException("a step must be a mapping with 'step' (one of " + kinds() + ")");
        }
        String kind = declaration.path("step").asText("");
        Kind maker = KINDS.get(kind);
        if (maker == null) {
            throw new IllegalArgumentException("unknown step '" + kind + "'; the steps are " + kinds());
        }
        String name = declaration.path("as").asText(kind.replace('-', '_'));
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]{0,63}")) {
            throw new IllegalArgumentException("step " + kind + ": as '" + name + "' must be a field name (letters, digits, _)");
        }
        ObjectNode settings = ((ObjectNode) declaration).deepCopy();
        settings.remove("step");
        settings.remove("as");
        try {
            return maker.define(name, settings);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("step " + name + " (" + kind + "): " + e.getMessage(), e);
        }
    }
}
