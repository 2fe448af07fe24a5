package io.micromesh.engines.llamacpp;

import de.kherud.llama.LlamaModel;
import io.micromesh.core.MeshException;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The grammar that constrains a llama.cpp model's answer when tools are offered: a call is exactly
 * {@code {"name": "NAME", "arguments": ARGS}} with ARGS fitting that tool's parameter schema, wrapped
 * the way the model's {@link ToolFormat} writes calls; with {@code tool_choice: auto} the answer may
 * instead be text (that does not start like a call).
 *
 * <p>Each tool's schema goes through llama.cpp's own schema-to-grammar converter separately (so that
 * its local {@code $ref}s still resolve), and the rules of each result are renamed with a per-tool
 * prefix before they are joined: no grammar library takes GBNF apart, and the renaming only needs
 * to skip string literals, character classes, repetition counts and comments.
 */
final class ToolGrammar {

    private static final Pattern RULE_DEFINITION = Pattern.compile("(?m)^([A-Za-z0-9_-]+)\\s*::=");

    private ToolGrammar() {
    }

    /** The whole grammar for a request's tool use in a model's format. */
    static String of(ToolUse use, ToolFormat format) {
        StringBuilder grammar = new StringBuilder();
        StringBuilder anyCall = new StringBuilder("call ::= ");
        for (int k = 0; k < use.tools().size(); k++) {
            ToolUse.Function tool = use.tools().get(k);
            String prefix = "t" + k + "-";
            String converted;
            try {
                converted = LlamaModel.jsonSchemaToGrammar(tool.parameters().toString());
            } catch (RuntimeException e) {
                throw MeshException.invalid("tools[" + k + "].function.parameters",
                        "the schema cannot be turned into a grammar for llama.cpp: " + e.getMessage());
            }
            grammar.append(renamed(converted, prefix)).append('\n');
            grammar.append("call-").append(k).append(" ::= \"{\\\"name\\\": \\\"").append(tool.name())
                    .append("\\\", \\\"arguments\\\": \" ").append(prefix).append("root \"}\"\n");
            anyCall.append(k == 0 ? "" : " | ").append("call-").append(k);
        }
        grammar.append(anyCall).append('\n');
        grammar.append(format.callsRule(use.parallel())).append('\n');
        if (use.mode() == ToolUse.Mode.AUTO) {
            grammar.append("root ::= ").append(format.callsWithMarker()).append(" | text\n");
            grammar.append("text ::= (").append(format.textStart()).append(" .*)?\n");
        } else {
            grammar.append("root ::= ").append(format.callsWithMarker()).append('\n');
        }
        return grammar.toString();
    }

    /** A GBNF grammar with every rule it defines renamed to {@code prefix + name}, references included. */
    static String renamed(String gbnf, String prefix) {
        Set<String> defined = new HashSet<>();
        Matcher definitions = RULE_DEFINITION.matcher(gbnf);
        while (definitions.find()) {
            defined.add(definitions.group(1));
        }
        StringBuilder out = new StringBuilder(gbnf.length() + 64);
        int i = 0;
        while (i < gbnf.length()) {
            char c = gbnf.charAt(i);
            int end = switch (c) {
                case '"' -> closing(gbnf, i, '"');
                case '[' -> closing(gbnf, i, ']');
                case '{' -> closing(gbnf, i, '}');
                case '#' -> { int eol = gbnf.indexOf('\n', i); yield eol < 0 ? gbnf.length() : eol; }
                default -> -1;
            };
            if (end >= 0) {
                out.append(gbnf, i, end);
                i = end;
            } else if (isNameChar(c)) {
                int start = i;
                while (i < gbnf.length() && isNameChar(gbnf.charAt(i))) {
                    i++;
                }
                String name = gbnf.substring(start, i);
                out.append(defined.contains(name) ? prefix + name : name);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** The index just after the delimiter that closes the one at {@code open}, backslash escapes skipped. */
    private static int closing(String text, int open, char close) {
        int i = open + 1;
        while (i < text.length() && text.charAt(i) != close) {
            i += text.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(i + 1, text.length());
    }

    private static boolean isNameChar(char c) {
        return c == '-' || c == '_' || Character.isLetterOrDigit(c);
    }
}
