package io.micromesh.engines.llamacpp;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.core.MeshException;
import java.util.Map;
import java.util.Set;

/**
 * Checks, in Java, that a JSON schema is one llama.cpp's schema-to-grammar converter can take,
 * before native code sees it. The converter throws a C++ exception for what it cannot handle (an
 * unknown type, a {@code $ref} it cannot resolve, a number where it expects an integer, a pattern
 * not anchored with {@code ^ $}), and the binding does not catch it: the worker process aborts, and
 * with it every request on the model. So the subset the converter handles is spelled out here, and
 * everything else is a 400 naming the part of the schema at fault.
 *
 * <p>The subset: {@code type} (one of string, number, integer, boolean, object, array, null, or a
 * list of them), {@code properties}, {@code required}, {@code additionalProperties}, {@code items},
 * {@code prefixItems}, {@code minItems}, {@code maxItems}, {@code enum}, {@code const}, {@code anyOf},
 * {@code oneOf}, {@code allOf}, local {@code $ref}s ({@code #/...}) that resolve, {@code $defs} and
 * {@code definitions}, {@code pattern} (anchored, and made of literals, {@code .}, classes
 * {@code [a-z]}, groups, {@code |} and the quantifiers {@code * + ? {m,n}}: the converter turns
 * other escapes into grammar text that llama.cpp cannot parse, and loops forever on a stray
 * {@code ]} or {@code }}), {@code format},
 * {@code minLength}, {@code maxLength}, number bounds, and annotations ({@code title},
 * {@code description} ...). Sizes are bounded, because the converter recurses and the grammar
 * parser expands repetitions: at most {@value #MAX_DEPTH} levels, {@value #MAX_NODES} schemas,
 * repetitions up to {@value #MAX_REPEAT}.
 */
final class GrammarSchema {

    static final int MAX_DEPTH = 32;
    static final int MAX_NODES = 2_000;
    static final int MAX_REPEAT = 4_096;
    static final int MAX_PATTERN = 1_000;

    private static final Set<String> TYPES = Set.of("string", "number", "integer", "boolean", "object", "array", "null");
    /** Keywords that describe and do not constrain: the converter ignores them. */
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema", "$id",
            "$comment", "deprecated", "readOnly", "writeOnly", "nullable");
    private static final Set<String> KEYWORDS = Set.of("type", "properties", "required", "additionalProperties", "items",
            "prefixItems", "minItems", "maxItems", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "$defs", "definitions",
            "pattern", "format", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");

    private final JsonNode root;
    private final String base;
    private int nodes;

    private GrammarSchema(JsonNode root, String base) {
        this.root = root;
        this.base = base;
    }

    /**
     * Checks a schema.
     *
     * @param base the request parameter that holds it, for messages ({@code response_format.json_schema.schema})
     * @throws MeshException {@code INVALID_REQUEST} naming the part of the schema that llama.cpp cannot take
     */
    static void check(JsonNode schema, String base) {
        new GrammarSchema(schema, base).visit(schema, "", 0);
    }

    private void visit(JsonNode schema, String at, int depth) {
        if (!schema.isObject()) {
            throw refused(at, "a schema must be an object, got " + kind(schema));
        }
        if (depth > MAX_DEPTH) {
            throw refused(at, "the schema nests more than " + MAX_DEPTH + " levels deep");
        }
        if (++nodes > MAX_NODES) {
            throw refused(at, "the schema has more than " + MAX_NODES + " parts");
        }
        for (Map.Entry<String, JsonNode> field : schema.properties()) {
            String key = field.getKey();
            JsonNode value = field.getValue();
            String here = at + "." + key;
            switch (key) {
                case "type" -> type(value, here);
                case "properties" -> {
                    requireObject(value, here);
                    for (Map.Entry<String, JsonNode> property : value.properties()) {
                        visit(property.getValue(), here + "." + property.getKey(), depth + 1);
                    }
                }
                case "required" -> {
                    if (!value.isArray()) {
                        throw refused(here, "must be a list of property names, got " + kind(value));
                    }
                    value.forEach(name -> {
                        if (!name.isTextual()) {
                            throw refused(here, "must be a list of property names, got " + kind(name) + " in it");
                        }
                    });
                }
                case "additionalProperties" -> {
                    if (!value.isBoolean()) {
                        visit(value, here, depth + 1);
                    }
                }
                case "items" -> {
                    if (value.isArray()) {
                        list(value, here, depth);
                    } else {
                        visit(value, here, depth + 1);
                    }
                }
                case "prefixItems", "anyOf", "oneOf", "allOf" -> {
                    if (!value.isArray() || value.isEmpty()) {
                        throw refused(here, "must be a non-empty list of schemas, got " + kind(value));
                    }
                    list(value, here, depth);
                }
                case "$defs", "definitions" -> {
                    requireObject(value, here);
                    for (Map.Entry<String, JsonNode> definition : value.properties()) {
                        visit(definition.getValue(), here + "." + definition.getKey(), depth + 1);
                    }
                }
                case "$ref" -> ref(value, here);
                case "enum" -> {
                    if (!value.isArray() || value.isEmpty()) {
                        throw refused(here, "must be a non-empty list of values, got " + kind(value));
                    }
                }
                case "const" -> {
                    // any JSON value is a constant
                }
                case "pattern" -> pattern(value, here);
                case "format" -> {
                    if (!value.isTextual()) {
                        throw refused(here, "must be a text such as \"date\", got " + kind(value));
                    }
                }
                case "minLength", "maxLength", "minItems", "maxItems" -> count(value, here);
                case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" -> {
                    if (!value.isNumber()) {
                        throw refused(here, "must be a number, got " + kind(value));
                    }
                }
                default -> {
                    if (!ANNOTATIONS.contains(key)) {
                        throw refused(here, "'" + key + "' is not supported by llama.cpp models; they take " + KEYWORDS.stream()
                                .sorted().toList() + " and annotations such as title and description");
                    }
                }
            }
        }
    }

    private void list(JsonNode schemas, String at, int depth) {
        for (int i = 0; i < schemas.size(); i++) {
            visit(schemas.get(i), at + "[" + i + "]", depth + 1);
        }
    }

    private void type(JsonNode value, String at) {
        if (value.isTextual()) {
            if (!TYPES.contains(value.asText())) {
                throw refused(at, "'" + clip(value.asText()) + "' is not a JSON schema type; allowed: " + TYPES.stream().sorted().toList());
            }
            return;
        }
        if (!value.isArray() || value.isEmpty()) {
            throw refused(at, "must be a type name or a list of them, got " + kind(value));
        }
        value.forEach(t -> type(t, at));
    }

    private void ref(JsonNode value, String at) {
        if (!value.isTextual() || !value.asText().startsWith("#/")) {
            throw refused(at, "llama.cpp models take only local references such as \"#/$defs/Address\", got "
                    + (value.isTextual() ? "'" + clip(value.asText()) + "'" : kind(value)));
        }
        JsonNode target = root;
        for (String token : value.asText().substring(2).split("/", -1)) {
            String name = token.replace("~1", "/").replace("~0", "~");
            if (!target.isObject() || !target.has(name)) {
                throw refused(at, "'" + clip(value.asText()) + "' points to nothing in the schema");
            }
            target = target.get(name);
        }
        if (!target.isObject()) {
            throw refused(at, "'" + clip(value.asText()) + "' points to " + kind(target) + ", not a schema");
        }
    }

    private void count(JsonNode value, String at) {
        if (!value.isIntegralNumber() || value.asLong() < 0 || value.asLong() > MAX_REPEAT) {
            throw refused(at, "must be a whole number from 0 to " + MAX_REPEAT + " for llama.cpp models, got "
                    + (value.isNumber() ? value.toString() : kind(value)));
        }
    }

    /**
     * A pattern the converter translates faithfully: anchored with {@code ^ $}, made of literals
     * (other characters escaped with a backslash), {@code .}, classes of plain characters and
     * ranges, groups without {@code ?}, alternatives, and quantifiers after something to repeat.
     */
    private void pattern(JsonNode value, String at) {
        if (!value.isTextual()) {
            throw refused(at, "must be a regular expression as text, got " + kind(value));
        }
        String p = value.asText();
        if (p.length() > MAX_PATTERN) {
            throw refused(at, "is longer than " + MAX_PATTERN + " characters");
        }
        if (p.length() < 2 || p.charAt(0) != '^' || p.charAt(p.length() - 1) != '$') {
            throw refused(at, "llama.cpp models need a pattern anchored at both ends, such as \"^[a-z]+$\"; got '" + clip(p) + "'");
        }
        new PatternCheck(p.substring(1, p.length() - 1), at).sequence(0);
    }

    /** A recursive-descent reading of the pattern's inside, refusing what the converter would mistranslate. */
    private final class PatternCheck {
        private final String p;
        private final String at;
        private int i;

        PatternCheck(String pattern, String at) {
            this.p = pattern;
            this.at = at;
        }

        void sequence(int depth) {
            if (depth > MAX_DEPTH) {
                throw refused(at, "the pattern nests groups too deep");
            }
            boolean atom = false;
            boolean branchHasAtom = false;
            boolean alternatives = false;
            while (i < p.length()) {
                char c = p.charAt(i);
                switch (c) {
                    case '(' -> {
                        i++;
                        if (i < p.length() && p.charAt(i) == '?') {
                            throw refused(at, "the pattern's group at " + i + " uses '(?', which llama.cpp models do not take");
                        }
                        if (i < p.length() && p.charAt(i) == ')') {
                            throw refused(at, "the pattern has an empty group '()'");
                        }
                        sequence(depth + 1);
                        if (i >= p.length() || p.charAt(i) != ')') {
                            throw refused(at, "the pattern has an unclosed '('");
                        }
                        i++;
                        atom = true;
                    }
                    case ')' -> {
                        if (depth == 0) {
                            throw refused(at, "the pattern has a ')' without its '('");
                        }
                        endBranch(branchHasAtom || atom, alternatives);
                        return;
                    }
                    case '|' -> {
                        endBranch(branchHasAtom || atom, true);
                        i++;
                        atom = false;
                        branchHasAtom = false;
                        alternatives = true;
                        continue;
                    }
                    case '[' -> {
                        characterClass();
                        atom = true;
                    }
                    case '*', '+', '?' -> {
                        quantifier(atom, String.valueOf(c));
                        i++;
                        atom = false;
                    }
                    case '{' -> {
                        int close = p.indexOf('}', i);
                        if (close < 0) {
                            throw refused(at, "the pattern has an unclosed '{'");
                        }
                        String range = p.substring(i + 1, close);
                        quantifier(atom, "{" + range + "}");
                        if (!range.matches("\\d{1,4}|\\d{0,4},\\d{0,4}") || range.equals(",")) {
                            throw refused(at, "the pattern's '{" + clip(range) + "}' is not a count such as {3} or {1,5}");
                        }
                        String[] bounds = range.split(",", -1);
                        for (String bound : bounds) {
                            if (!bound.isEmpty() && Integer.parseInt(bound) > MAX_REPEAT) {
                                throw refused(at, "the pattern repeats something more than " + MAX_REPEAT + " times");
                            }
                        }
                        if (bounds.length == 2 && !bounds[0].isEmpty() && !bounds[1].isEmpty()
                                && Integer.parseInt(bounds[0]) > Integer.parseInt(bounds[1])) {
                            throw refused(at, "the pattern's '{" + range + "}' counts down");
                        }
                        i = close + 1;
                        atom = false;
                    }
                    case '\\' -> {
                        if (i + 1 >= p.length() || "[]()|{}*+?\\".indexOf(p.charAt(i + 1)) < 0) {
                            throw refused(at, "the pattern's escape '" + clip(p.substring(i, Math.min(p.length(), i + 2)))
                                    + "' is not available on llama.cpp models: escape only [ ] ( ) | { } * + ? \\ and write"
                                    + " a class for the rest, [0-9] for \\d, [.] for a dot");
                        }
                        i += 2;
                        atom = true;
                    }
                    case '}', ']' -> throw refused(at, "the pattern's '" + c + "' at " + (i + 2)
                            + " has nothing to close; write \\" + c + " for the character");
                    case '^', '$' -> throw refused(at, "the pattern's '" + c + "' at " + (i + 2)
                            + " is not available on llama.cpp models: the pattern is anchored at its ends only; write ["
                            + c + "] for the character");
                    default -> {
                        if (Character.isISOControl(c)) {
                            throw refused(at, "the pattern holds a control character");
                        }
                        i++;
                        atom = true;
                    }
                }
                branchHasAtom |= atom;
            }
            if (depth > 0) {
                throw refused(at, "the pattern has an unclosed '('");
            }
            endBranch(branchHasAtom || atom, alternatives);
        }

        /** Refuses an empty alternative ({@code a|} or {@code (|a)}): the converter would write an empty rule. */
        private void endBranch(boolean hasAtom, boolean alternatives) {
            if (!hasAtom && alternatives) {
                throw refused(at, "the pattern has an empty alternative");
            }
        }

        private void quantifier(boolean atom, String what) {
            if (!atom) {
                throw refused(at, "the pattern's '" + clip(what) + "' repeats nothing");
            }
            int next = what.startsWith("{") ? p.indexOf('}', i) + 1 : i + 1;
            if (next < p.length() && (p.charAt(next) == '?' || p.charAt(next) == '+')) {
                throw refused(at, "lazy and possessive quantifiers ('" + what + p.charAt(next)
                        + "') are not available on llama.cpp models");
            }
        }

        private void characterClass() {
            int start = i;
            i++;
            if (i < p.length() && p.charAt(i) == '^') {
                i++;
            }
            boolean empty = true;
            while (i < p.length() && p.charAt(i) != ']') {
                char c = p.charAt(i);
                if (c == '\\' || c == '[' || c == '"' || Character.isISOControl(c)) {
                    throw refused(at, "the pattern's class at " + (start + 1) + " holds '" + c + "'; llama.cpp models take"
                            + " plain characters and ranges such as [a-zA-Z0-9_] in classes");
                }
                i++;
                empty = false;
            }
            if (i >= p.length()) {
                throw refused(at, "the pattern has an unclosed '['");
            }
            if (empty) {
                throw refused(at, "the pattern has an empty class '[]'");
            }
            i++;
        }
    }

    private void requireObject(JsonNode value, String at) {
        if (!value.isObject()) {
            throw refused(at, "must be an object of schemas, got " + kind(value));
        }
    }

    private MeshException refused(String at, String why) {
        return MeshException.invalid(base + at, "invalid_json_schema", "'" + base + at + "': " + why + ".");
    }

    private static String kind(JsonNode value) {
        return switch (value.getNodeType()) {
            case OBJECT -> "an object";
            case ARRAY -> "a list";
            case STRING -> "a text";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "something else";
        };
    }

    /** A value quoted in a message, cut to a readable length: a client may send megabytes. */
    private static String clip(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }
}
