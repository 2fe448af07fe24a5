package io.micromesh.cli.batch;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.github.mustachejava.Code;
import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.codes.ValueCode;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.micromesh.api.Json;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A batch task file (YAML): a prompt template (Mustache, rendered without HTML escaping) over the
 * declared fields of each input record, an optional system message, the route or model that
 * answers, and the output's JSON schema, sent as {@code response_format} (engine workers turn it
 * into a grammar, remote servers enforce it themselves). Everything is checked when the task is
 * loaded: a template that uses an undeclared field, or a schema that is not one, is refused before
 * the job starts.
 */
public final class BatchTask {

    /** The YAML form. */
    record Spec(String name, String route, List<String> fields, String system, String prompt,
                @JsonProperty("output-schema") ObjectNode outputSchema, @JsonProperty("max-tokens") Integer maxTokens) {
    }

    /** Renders without HTML escaping: prompts are plain text. */
    private static final DefaultMustacheFactory TEMPLATES = new DefaultMustacheFactory() {
        @Override
        public void encode(String value, Writer writer) {
            try {
                writer.write(value);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    };

    private final Spec spec;
    private final Mustache prompt;

    private BatchTask(Spec spec, Mustache prompt) {
        this.spec = spec;
        this.prompt = prompt;
    }

    /**
     * Loads and checks a task file.
     *
     * @throws IllegalArgumentException naming the file and the problem
     */
    public static BatchTask load(Path file) {
        Spec spec;
        try {
            spec = new ObjectMapper(new YAMLFactory()).setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(file.toFile(), Spec.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (spec == null || spec.name() == null || !spec.name().matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException(file + ": name is required: 1-64 letters, digits, _ or -");
        }
        if (spec.route() == null || spec.route().isBlank()) {
            throw new IllegalArgumentException(file + ": route is required: the route or model that answers");
        }
        if (spec.prompt() == null || spec.prompt().isBlank()) {
            throw new IllegalArgumentException(file + ": prompt is required: a Mustache template over the fields");
        }
        Set<String> fields = new LinkedHashSet<>(spec.fields() == null ? List.of() : spec.fields());
        Mustache template;
        try {
            template = TEMPLATES.compile(new StringReader(spec.prompt()), spec.name());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": prompt is not a valid template: " + e.getMessage());
        }
        Set<String> used = new LinkedHashSet<>();
        names(template.getCodes(), used);
        for (String name : used) {
            if (!fields.contains(name.split("\\.")[0])) {
                throw new IllegalArgumentException(file + ": the prompt uses field '" + name + "', which is not in fields "
                        + fields);
            }
        }
        if (spec.outputSchema() != null) {
            try {
                SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(spec.outputSchema());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + ": output-schema is not a JSON schema: " + e.getMessage());
            }
            if (!spec.outputSchema().path("type").asText().equals("object")) {
                throw new IllegalArgumentException(file + ": output-schema must describe an object (type: object)");
            }
        }
        if (spec.maxTokens() != null && spec.maxTokens() < 1) {
            throw new IllegalArgumentException(file + ": max-tokens must be at least 1");
        }
        return new BatchTask(spec, template);
    }

    private static void names(Code[] codes, Set<String> into) {
        if (codes == null) {
            return;
        }
        for (Code code : codes) {
            if (code.getName() != null && (code instanceof ValueCode || code.getCodes() != null)) {
                into.add(code.getName());
            }
            names(code.getCodes(), into);
        }
    }

    /** The task's name (journals belong to it). */
    public String name() {
        return spec.name();
    }

    /** The route or model that answers. */
    public String route() {
        return spec.route();
    }

    /**
     * The chat request for one input record.
     *
     * @throws IllegalArgumentException when the record lacks a declared field
     */
    public ObjectNode request(JsonNode record) {
        for (String field : spec.fields() == null ? List.<String>of() : spec.fields()) {
            if (!record.has(field) || record.get(field).isNull()) {
                throw new IllegalArgumentException("the record has no field '" + field + "'");
            }
        }
        StringWriter text = new StringWriter();
        prompt.execute(text, Json.mapper().convertValue(record, Map.class));
        ObjectNode body = Json.object().put("model", spec.route());
        var messages = body.putArray("messages");
        if (spec.system() != null) {
            messages.addObject().put("role", "system").put("content", spec.system());
        }
        messages.addObject().put("role", "user").put("content", text.toString());
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
     * The output line of a record from the chat answer: its {@code output} (the answer parsed as
     * JSON when a schema was asked for, else its text), the model that produced it, and the usage.
     */
    public ObjectNode output(String id, JsonNode answer) {
        ObjectNode line = Json.object().put("id", id);
        String content = answer.path("choices").path(0).path("message").path("content").asText("");
        if (spec.outputSchema() != null) {
            try {
                line.set("output", Json.mapper().readTree(content));
            } catch (IOException e) {
                line.putNull("output");
                line.putObject("error").put("code", "invalid_output").put("message", "the answer is not JSON");
            }
        } else {
            line.put("output", content);
        }
        line.put("model", answer.path("model").asText());
        line.set("usage", answer.path("usage"));
        if (!line.has("error")) {
            line.putNull("error");
        }
        return line;
    }
}
