package io.micromesh.engines.llamacpp;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a tool-constrained answer, whole or as far as it has been generated: is it text or calls,
 * and which calls, with their arguments verbatim (so that streamed argument pieces add up to exactly
 * the arguments of the whole answer). The grammar ({@link ToolGrammar}) fixes how a call is written,
 * {@code {"name": "NAME", "arguments": ARGS}}, so reading it needs no guessing; ARGS ends where its
 * JSON value closes.
 */
final class ToolAnswer {

    private static final String NAME_OPEN = "{\"name\": \"";
    private static final String ARGUMENTS_OPEN = "\", \"arguments\": ";

    /** What an answer is, as far as it goes. */
    sealed interface Reading {
        /** Too short to tell (empty, or the beginning of the call marker). */
        record Undecided() implements Reading {
        }

        /** A text answer. */
        record Text(String text) implements Reading {
        }

        /** Calls; the last may still be open. */
        record Calls(List<Call> calls) implements Reading {
            /** Whether every call is closed (an answer cut by the token limit is not). */
            boolean complete() {
                return !calls.isEmpty() && calls.stream().allMatch(Call::complete);
            }
        }
    }

    /**
     * A call read from an answer.
     *
     * @param name      the function's name
     * @param arguments its arguments as written so far
     * @param complete  whether the arguments' JSON value is closed
     */
    record Call(String name, String arguments, boolean complete) {
    }

    private ToolAnswer() {
    }

    /** Reads an answer (or its beginning) written in {@code format}. */
    static Reading read(String text, ToolFormat format) {
        Boolean call = format.startsCall(text);
        if (call == null) {
            return new Reading.Undecided();
        }
        if (!call) {
            return new Reading.Text(text);
        }
        List<Call> calls = new ArrayList<>();
        int from = 0;
        while (true) {
            int open = text.indexOf(NAME_OPEN, from);
            if (open < 0) {
                break;
            }
            int nameStart = open + NAME_OPEN.length();
            int nameEnd = text.indexOf('"', nameStart);
            if (nameEnd < 0) {
                break;  // the name is not written out yet
            }
            String name = text.substring(nameStart, nameEnd);
            int argumentsStart = nameEnd + ARGUMENTS_OPEN.length();
            if (!text.startsWith(ARGUMENTS_OPEN, nameEnd)) {
                calls.add(new Call(name, "", false));  // named, arguments not begun
                break;
            }
            int argumentsEnd = valueEnd(text, argumentsStart);
            if (argumentsEnd < 0) {
                calls.add(new Call(name, text.substring(argumentsStart), false));
                break;
            }
            calls.add(new Call(name, text.substring(argumentsStart, argumentsEnd), true));
            from = argumentsEnd;
        }
        return new Reading.Calls(calls);
    }

    /** The index just after the JSON object or array that opens at {@code start}, or -1 while it is open. */
    static int valueEnd(String text, int start) {
        int depth = 0;
        boolean inString = false;
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    return i + 1;
                }
            }
        }
        return -1;
    }
}
