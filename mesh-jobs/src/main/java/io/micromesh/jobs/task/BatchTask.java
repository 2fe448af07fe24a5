package io.micromesh.jobs.task;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.micromesh.api.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A batch task file (YAML): micro-model steps that run first on each input record, then a prompt
 * template (Mustache, without HTML escaping) over the record's declared fields and the steps'
 * outputs, an optional system message, the route or model that answers, and the output's JSON
 * schema, sent as {@code response_format} (engine workers turn it into a grammar, remote servers
 * enforce it themselves). {@code model} says when the model is asked: {@code always} (the default
 * with a prompt), {@code if-unsure} (only when a step's confidence is below its
 * {@code min-confidence}: the steps answer instead of the model when they are sure) or
 * {@code never} (steps only). Everything is checked when the task is loaded: an unknown step, a
 * template naming an undeclared field, or a schema that is not one refuses the task before the job
 * starts.
 */
public final class BatchTask {

    /** The YAML form. */
    record Spec(String name, String route, List<String> fields, Transcribe transcribe, List<JsonNode> steps, String system,
                String prompt, @JsonProperty("output-schema") ObjectNode outputSchema,
                @JsonProperty("max-tokens") Integer maxTokens, String model) {
    }

    /**
     * Speech to transcribe before the steps, for records that hold an audio file instead of text.
     *
     * @param from     the record field with the audio file's path (default {@code audio})
     * @param into     the field that the transcript fills (default {@code transcript}; one of {@code fields})
     * @param model    the model or route that transcribes (default {@code asr})
     * @param channels for stereo recordings with one speaker per channel (as call centers record):
     *                 the left and the right channel's speaker, whose turns label the transcript's
     *                 lines; null to transcribe the mix without labels
     * @param monoSpeakers for a mono recording, when {@code channels} names the speakers: {@code pitch}
     *                 tells two voices apart by their pitch (the first to speak gets the first name),
     *                 {@code none} (the default) leaves its lines without speakers
     */
    public record Transcribe(String from, String into, String model, List<String> channels, String monoSpeakers) {
        /** Fills the defaults and checks the names. */
        public Transcribe {
            monoSpeakers = monoSpeakers == null ? "none" : monoSpeakers;
            if (!monoSpeakers.equals("none") && !monoSpeakers.equals("pitch")) {
                throw new IllegalArgumentException("transcribe.mono-speakers is 'pitch' (tell two voices apart by their pitch)"
                        + " or 'none' (a mono call's lines carry no speaker); got '" + monoSpeakers + "'");
            }
            if (monoSpeakers.equals("pitch") && channels == null) {
                throw new IllegalArgumentException("transcribe.mono-speakers: pitch needs transcribe.channels, the two"
                        + " speakers' names (the first to speak gets the first name)");
            }
            from = from == null ? "audio" : from;
            into = into == null ? "transcript" : into;
            model = model == null ? "asr" : model;
            if (channels != null && (channels.size() != 2 || channels.stream().anyMatch(c -> c == null || c.isBlank()
                    || c.contains(":") || c.contains("\n")))) {
                throw new IllegalArgumentException("transcribe.channels names the left and the right channel's speaker,"
                        + " two names without ':' (for example [Agent, Customer]); got " + channels);
            }
            channels = channels == null ? null : List.copyOf(channels);
        }
    }

    /** When the model is asked. */
    public enum ModelUse {
        /** For every record. */
        ALWAYS,
        /** Only for records on which a step is unsure (its confidence is below its {@code min-confidence}). */
        IF_UNSURE,
        /** Never: the steps produce the whole output. */
        NEVER,
        /** For every record when the server has the route; else never, and the fields only a model produces are marked not produced. */
        IF_AVAILABLE
    }

    private final Spec spec;
    private final List<String> fields;
    private final List<Steps.Definition> steps;
    private final Template prompt;
    private final ModelUse modelUse;

    private BatchTask(Spec spec, List<String> fields, List<Steps.Definition> steps, Template prompt, ModelUse modelUse) {
        this.spec = spec;
        this.fields = fields;
        this.steps = steps;
        this.prompt = prompt;
        this.modelUse = modelUse;
    }

    /** The built-in tasks, by name: task files that ship inside micromesh. */
    public static final List<String> BUILT_IN = List.of("call-insights", "summarize", "quantities");

    /**
     * A record field that, when it holds a URL (a {@code data:image/png;base64,...} one for a document's
     * visual page), is sent with the prompt as an image: the route then picks a candidate with vision.
     */
    public static final String IMAGE_FIELD = "image_url";

    /**
     * A built-in task.
     *
     * @throws IllegalArgumentException when there is none of that name
     */
    public static BatchTask builtIn(String name) {
        if (!BUILT_IN.contains(name)) {
            throw new IllegalArgumentException("no built-in task named '" + name + "'; the built-in tasks are " + BUILT_IN);
        }
        try (var in = BatchTask.class.getResourceAsStream("/io/micromesh/jobs/tasks/" + name + ".yaml")) {
            if (in == null) {
                throw new IllegalStateException("built-in task " + name + " is missing from the class path");
            }
            return check(yaml().readValue(in, Spec.class));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read built-in task " + name, e);
        }
    }

    /** This task with another route (or model) answering its prompt. */
    public BatchTask withRoute(String route) {
        Spec s = spec;
        return check(new Spec(s.name(), route, s.fields(), s.transcribe(), s.steps(), s.system(), s.prompt(), s.outputSchema(),
                s.maxTokens(),
                s.model()));
    }

    private static ObjectMapper yaml() {
        return new ObjectMapper(new YAMLFactory()).setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /**
     * Reads and checks a task from its YAML text (a task file's content, handed over to workers).
     *
     * @param origin what the text came from, for messages
     * @throws IllegalArgumentException naming the origin and the problem
     */
    public static BatchTask parse(String text, String origin) {
        Spec spec;
        try {
            spec = yaml().readValue(text, Spec.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(origin + ": " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage()));
        }
        try {
            return check(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin + ": " + e.getMessage(), e);
        }
    }

    /**
     * The YAML text of a task file, or of the built-in task of that name.
     *
     * @throws IllegalArgumentException when it is neither
     */
    public static String text(String fileOrName) {
        Path file = Path.of(fileOrName);
        try {
            if (java.nio.file.Files.exists(file)) {
                return java.nio.file.Files.readString(file);
            }
            if (BUILT_IN.contains(fileOrName)) {
                try (var in = BatchTask.class.getResourceAsStream("/io/micromesh/jobs/tasks/" + fileOrName + ".yaml")) {
                    return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + fileOrName + ": " + e.getMessage());
        }
        throw new IllegalArgumentException("--task " + fileOrName + ": no such file, and no built-in task of that name");
    }

    /**
     * Loads and checks a task file.
     *
     * @throws IllegalArgumentException naming the file and the problem
     */
    public static BatchTask load(Path file) {
        Spec spec;
        try {
            spec = yaml().readValue(file.toFile(), Spec.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage()));
        }
        try {
            return check(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static BatchTask check(Spec spec) {
        if (spec == null || spec.name() == null || !spec.name().matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("name is required: 1-64 letters, digits, _ or -");
        }
        List<String> fields = spec.fields() == null ? List.of() : List.copyOf(spec.fields());
        Set<String> known = new LinkedHashSet<>(fields);
        if (spec.transcribe() != null && !fields.contains(spec.transcribe().into())) {
            throw new IllegalArgumentException("transcribe.into is '" + spec.transcribe().into() + "', which is not in fields "
                    + fields + ": the transcript fills one of the record's fields");
        }
        List<Steps.Definition> steps = new ArrayList<>();
        for (JsonNode declaration : spec.steps() == null ? List.<JsonNode>of() : spec.steps()) {
            Steps.Definition step = Steps.define(declaration);
            Set<String> unknown = new LinkedHashSet<>(step.uses());
            unknown.removeAll(known);
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("step " + step.name() + " uses field '" + unknown.iterator().next()
                        + "', which is not in fields or an earlier step's output " + known);
            }
            if (!known.add(step.name())) {
                throw new IllegalArgumentException("step " + step.name() + ": its output '" + step.name()
                        + "' is already a field or the output of another step; give it another 'as'");
            }
            steps.add(step);
        }
        boolean hasPrompt = spec.prompt() != null && !spec.prompt().isBlank();
        ModelUse use = modelUse(spec.model(), hasPrompt);
        if (use != ModelUse.NEVER && !hasPrompt) {
            throw new IllegalArgumentException("prompt is required: a Mustache template over the fields (or model: never,"
                    + " with steps only)");
        }
        if (use == ModelUse.NEVER && steps.isEmpty()) {
            throw new IllegalArgumentException("a task needs a prompt (for a model) or steps, or both");
        }
        if (use == ModelUse.IF_UNSURE && steps.isEmpty()) {
            throw new IllegalArgumentException("model: if-unsure needs steps whose confidence decides");
        }
        if (use != ModelUse.NEVER && (spec.route() == null || spec.route().isBlank())) {
            throw new IllegalArgumentException("route is required: the route or model that answers the prompt");
        }
        Template template = null;
        if (use != ModelUse.NEVER) {
            template = Template.compile(spec.prompt(), "prompt");
            template.requireKnown(known, "the prompt");
        }
        if (spec.outputSchema() != null) {
            try {
                SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(spec.outputSchema());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("output-schema is not a JSON schema: " + e.getMessage());
            }
            if (!spec.outputSchema().path("type").asText().equals("object")) {
                throw new IllegalArgumentException("output-schema must describe an object (type: object)");
            }
        }
        if (spec.maxTokens() != null && spec.maxTokens() < 1) {
            throw new IllegalArgumentException("max-tokens must be at least 1");
        }
        return new BatchTask(spec, fields, List.copyOf(steps), template, use);
    }

    private static ModelUse modelUse(String value, boolean hasPrompt) {
        if (value == null) {
            return hasPrompt ? ModelUse.ALWAYS : ModelUse.NEVER;
        }
        try {
            return ModelUse.valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model must be always, if-unsure, if-available or never, was '" + value + "'");
        }
    }

    /** The task's name (journals belong to it). */
    public String name() {
        return spec.name();
    }

    /** The route or model that answers, when the task asks a model. */
    public Optional<String> route() {
        return modelUse == ModelUse.NEVER ? Optional.empty() : Optional.of(spec.route());
    }

    /** Whether the task runs without its model when the server does not have its route ({@code model: if-available}). */
    public boolean modelOptional() {
        return modelUse == ModelUse.IF_AVAILABLE;
    }

    /** The speech to transcribe before the steps, when the task takes audio. */
    public Optional<Transcribe> transcription() {
        return Optional.ofNullable(spec.transcribe());
    }

    /** This task with its steps only: the model is never asked. */
    public BatchTask withoutModel() {
        Spec s = spec;
        return check(new Spec(s.name(), s.route(), s.fields(), s.transcribe(), s.steps(), s.system(), s.prompt(),
                s.outputSchema(), s.maxTokens(),
                "never"));
    }

    /** The task's steps, in order. */
    public List<Steps.Definition> steps() {
        return steps;
    }

    /** Prepares the steps for a job (loading the encoder if a step needs it). */
    public Prepared prepare(Steps.Resources resources) {
        List<Step> ready = steps.stream().map(s -> s.prepare(resources)).toList();
        return new Prepared(ready);
    }

    /** The task with its steps ready to run. Thread-safe. */
    public final class Prepared {

        private final List<Step> ready;

        private Prepared(List<Step> ready) {
            this.ready = ready;
        }

        /**
         * Runs the steps on a record and decides whether the model is needed.
         *
         * @throws IllegalArgumentException when the record lacks a declared field
         */
        @SuppressWarnings("unchecked")
        public Work start(String id, JsonNode record) {
            for (String field : fields) {
                if (!record.has(field) || record.get(field).isNull()) {
                    throw new IllegalArgumentException("the record has no field '" + field + "'" + (spec.transcribe() != null
                            && spec.transcribe().into().equals(field) ? " (nor '" + spec.transcribe().from()
                            + "', an audio file to transcribe into it)" : ""));
                }
            }
            Map<String, Object> context = new LinkedHashMap<>(Json.mapper().convertValue(record, Map.class));
            Map<String, Step.Result> results = new LinkedHashMap<>();
            boolean unsure = false;
            for (int i = 0; i < ready.size(); i++) {
                Steps.Definition definition = steps.get(i);
                Step.Result result = ready.get(i).apply(context);
                results.put(definition.name(), result);
                context.put(definition.name(), Json.mapper().convertValue(result.value(), Object.class));
                unsure |= result.confidence() < definition.minConfidence();
            }
            boolean ask = switch (modelUse) {
                case ALWAYS, IF_AVAILABLE -> true;
                case IF_UNSURE -> unsure;
                case NEVER -> false;
            };
            return new Work(id, results, ask ? request(context) : null);
        }
    }

    /**
     * One record's work: what its steps produced and, when the model is needed, the chat request.
     *
     * @param request the chat request, or null when the steps answer alone
     */
    public record Work(String id, Map<String, Step.Result> stepResults, ObjectNode request) {
    }

    private ObjectNode request(Map<String, Object> context) {
        ObjectNode body = Json.object().put("model", spec.route());
        var messages = body.putArray("messages");
        if (spec.system() != null) {
            messages.addObject().put("role", "system").put("content", spec.system());
        }
        Object image = context.get(IMAGE_FIELD);
        if (image instanceof String url && !url.isBlank()) {  // a page to look at: the prompt and the image, for a vision model
            var content = messages.addObject().put("role", "user").putArray("content");
            content.addObject().put("type", "text").put("text", prompt.render(context));
            content.addObject().put("type", "image_url").putObject("image_url").put("url", url);
        } else {
            messages.addObject().put("role", "user").put("content", prompt.render(context));
        }
        if (spec.outputSchema() != null) {
            ObjectNode format = body.putObject("response_format").put("type", "json_schema");
            format.putObject("json_schema").put("name", spec.name()).put("strict", true).set("schema", spec.outputSchema());
        }
        if (spec.maxTokens() != null) {
            body.put("max_tokens", spec.maxTokens());
        }
        return body;
    }

    /**
     * The output line of a record: its {@code output} — without steps, the answer (parsed as JSON
     * when a schema was asked for, else its text); with steps, an object of the steps' values and
     * the model's fields (the model's value of a field replaces a step's only when the step was
     * unsure of it; a text answer goes under {@code text}; without a model, the schema's fields no
     * step produced are marked not produced) — the model that produced it
     * (null when the steps answered alone), the usage, and with steps a {@code provenance} naming
     * for each output field what produced it ({@code step:KIND} with its confidence, or
     * {@code model:ID}).
     *
     * @param answer the chat answer, or null when the model was not asked
     */
    public ObjectNode output(Work work, JsonNode answer) {
        ObjectNode line = Json.object().put("id", work.id());
        JsonNode produced = null;
        if (answer != null) {
            String content = answer.path("choices").path(0).path("message").path("content").asText("");
            if (spec.outputSchema() != null) {
                try {
                    produced = Json.mapper().readTree(content);
                } catch (IOException e) {
                    boolean cut = "length".equals(answer.path("choices").path(0).path("finish_reason").asText());
                    line.putObject("error").put("code", "invalid_output").put("message", cut
                            ? "the answer is not JSON: it was cut at the token limit ("
                                    + (spec.maxTokens() == null ? "the model's" : "max-tokens " + spec.maxTokens()) + ")"
                            : "the answer is not JSON (" + firstLine(e.getMessage()) + "): " + abbreviated(content));
                }
            } else {
                produced = Json.mapper().getNodeFactory().textNode(content);
            }
        }
        String model = answer == null ? null : answer.path("model").asText();
        if (steps.isEmpty()) {
            line.set("output", produced);
        } else {
            ObjectNode output = line.putObject("output");
            ObjectNode provenance = Json.object();
            work.stepResults().forEach((name, result) -> {
                output.set(name, result.value());
                provenance.putObject(name).put("by", "step:" + kindOf(name)).put("confidence", result.confidence());
            });
            if (produced != null && produced.isObject()) {
                produced.properties().forEach(e -> {
                    // a step that is sure of its value keeps it; the model fills the rest
                    if (!sure(e.getKey(), work)) {
                        output.set(e.getKey(), e.getValue());
                        // no confidence from a model: engines here give no token probabilities to derive one from
                        provenance.putObject(e.getKey()).put("by", "model:" + model).putNull("confidence");
                    }
                });
            } else if (produced != null) {
                output.set("text", produced);
                provenance.putObject("text").put("by", "model:" + model);
            } else if (answer == null && spec.outputSchema() != null) {
                spec.outputSchema().path("properties").fieldNames().forEachRemaining(field -> {
                    if (!output.has(field)) {
                        provenance.putObject(field).putNull("by").put("produced", false);
                    }
                });
            }
            line.set("provenance", provenance);
        }
        if (model == null) {
            line.putNull("model");
            line.putNull("usage");
        } else {
            line.put("model", model);
            line.set("usage", answer.path("usage"));
        }
        if (!line.has("error")) {
            line.putNull("error");
        }
        return line;
    }

    /** Whether a step produced this field with at least its {@code min-confidence}. */
    private boolean sure(String field, Work work) {
        Step.Result result = work.stepResults().get(field);
        return result != null && steps.stream().anyMatch(s -> s.name().equals(field) && result.confidence() >= s.minConfidence());
    }

    private static String firstLine(String message) {
        return message == null ? "unreadable" : message.lines().findFirst().orElse("unreadable");
    }

    /** The start of a bad answer, enough to see what the model did without copying a whole essay into the error line. */
    private static String abbreviated(String content) {
        return content.length() <= 200 ? content : content.substring(0, 200) + "…";
    }

    private String kindOf(String stepName) {
        return steps.stream().filter(s -> s.name().equals(stepName)).map(Steps.Definition::kind).findFirst().orElse("?");
    }
}
