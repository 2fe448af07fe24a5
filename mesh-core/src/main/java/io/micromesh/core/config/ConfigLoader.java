package io.micromesh.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads the YAML configuration: substitutes {@code ${NAME}} references from the environment, binds
 * the result to {@link MeshConfig} with unknown keys refused, and turns every problem into a
 * {@link ConfigException} whose message names the key. Thread-safe.
 *
 * <p>References: {@code ${NAME}} is the variable's value (empty when unset, as in Docker Compose),
 * {@code ${NAME:-default}} falls back when unset or empty, {@code ${NAME:?message}} refuses to start
 * when unset or empty. {@code $$} is a literal {@code $}.
 */
public final class ConfigLoader {

    private static final Pattern REFERENCE =
            Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\\?)([^}]*))?}");

    private final ObjectMapper yaml = YAMLMapper.builder(new YAMLFactory())
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();
    private final UnaryOperator<String> environment;

    private ConfigLoader(UnaryOperator<String> environment) {
        this.environment = environment;
    }

    /** A loader that reads the process environment. */
    public static ConfigLoader withSystemEnvironment() {
        return new ConfigLoader(System::getenv);
    }

    /** A loader that reads variables from the given map (for tests and embedding). */
    public static ConfigLoader withEnvironment(Map<String, String> variables) {
        return new ConfigLoader(variables::get);
    }

    /**
     * Loads and validates a configuration file.
     *
     * @throws ConfigException naming the file and the key at fault
     */
    public MeshConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("", file + ": no such file; pass --config FILE or create it");
        } catch (IOException e) {
            throw new ConfigException("", file + ": cannot be read: " + e.getMessage());
        }
        try {
            return parse(text);
        } catch (ConfigException e) {
            throw new ConfigException("", file + ": " + e.getMessage());
        }
    }

    /**
     * Parses and validates configuration text.
     *
     * @throws ConfigException naming the key at fault
     */
    public MeshConfig parse(String text) {
        return parse(text, MeshConfig.class, "the file is empty; it needs at least a 'models:' list",
                "the top level must be a mapping of keys (server, models)");
    }

    /**
     * Parses YAML text into {@code type} as the configuration is read (kebab-case keys, unknown keys
     * refused, {@code ${NAME}} references), for the other files micromesh reads (workloads, catalogs).
     *
     * @param empty    the message for an empty file
     * @param notAMapping the message for a file whose top level is not a mapping
     * @throws ConfigException naming the key at fault
     */
    public <T> T parse(String text, Class<T> type, String empty, String notAMapping) {
        JsonNode tree;
        try {
            tree = yaml.readTree(text);
        } catch (JsonProcessingException e) {
            // SnakeYAML's message spans lines with a drawing of the spot: keep its words, on one line
            String problem = e.getOriginalMessage().lines()
                    .filter(line -> !line.startsWith("    ") && !line.isBlank() && !line.strip().startsWith("in 'reader'"))
                    .map(String::strip)
                    .reduce((first, second) -> first + "; " + second).orElse("syntax error");
            throw new ConfigException("", "not valid YAML" + (e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr())
                    + ": " + problem + (text.contains("${") ? " (quote values that hold ${...} inside { } or [ ])" : ""));
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            throw new ConfigException("", empty);
        }
        if (!tree.isObject()) {
            throw new ConfigException("", notAMapping);
        }
        substitute(tree, "");
        try {
            return yaml.treeToValue(tree, type);
        } catch (JsonMappingException e) {
            throw explain(e);
        } catch (JsonProcessingException e) {
            throw new ConfigException("", e.getOriginalMessage());
        }
    }

    private void substitute(JsonNode node, String path) {
        if (node instanceof ObjectNode object) {
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String key = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
                if (field.getValue().isTextual()) {
                    field.setValue(new TextNode(expand(field.getValue().asText(), key)));
                } else {
                    substitute(field.getValue(), key);
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                String key = path + "[" + i + "]";
                if (array.get(i).isTextual()) {
                    array.set(i, new TextNode(expand(array.get(i).asText(), key)));
                } else {
                    substitute(array.get(i), key);
                }
            }
        }
    }

    private String expand(String value, String key) {
        Matcher m = REFERENCE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("$$")) {
                replacement = "$";
            } else {
                String found = environment.apply(m.group(1));
                boolean empty = found == null || found.isEmpty();
                if ("?".equals(m.group(2) == null ? null : m.group(2).substring(1)) && empty) {
                    String why = m.group(3).isBlank() ? "it is required" : m.group(3);
                    throw new ConfigException(key, "environment variable " + m.group(1) + " is not set: " + why);
                }
                replacement = empty && ":-".equals(m.group(2)) ? m.group(3) : found == null ? "" : found;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static ConfigException explain(JsonMappingException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConfigException problem) {
                return problem.under(path(e.getPath()));
            }
        }
        String path = path(e.getPath());
        if (e instanceof UnrecognizedPropertyException unknown) {
            return new ConfigException(path, "unknown key; allowed here: " + known(unknown.getKnownPropertyIds()));
        }
        if (e instanceof InvalidFormatException invalid) {
            Class<?> type = invalid.getTargetType();
            String allowed = type == Engine.class ? "allowed: " + Engine.allowed()
                    : type == Capability.class ? "allowed: " + Capability.allowed()
                    : "expected " + describe(type);
            return new ConfigException(path, "'" + invalid.getValue() + "' is not allowed; " + allowed);
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return new ConfigException(path, "expected " + describe(mismatch.getTargetType()));
        }
        return new ConfigException(path, e.getOriginalMessage());
    }

    private static String describe(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a text value";
        }
        if (Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type == Engine.class) {
            return "one of " + Engine.allowed();
        }
        return "a section of keys";
    }

    private static String known(Collection<Object> ids) {
        return ids == null ? "?" : ids.stream().map(String::valueOf).sorted().collect(Collectors.joining(", "));
    }

    private static String path(List<JsonMappingException.Reference> references) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference ref : references) {
            if (ref.getFieldName() != null) {
                out.append(out.isEmpty() ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.toString();
    }
}
