package io.micromesh.jobs.task;

import com.github.mustachejava.Code;
import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.codes.ValueCode;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A Mustache template of a task (a prompt, a step's input text), rendered without HTML escaping
 * since prompts are plain text, and knowing the names it uses so that a task naming a field it
 * does not declare is refused before the job starts.
 */
public final class Template {

    private static final DefaultMustacheFactory FACTORY = new DefaultMustacheFactory() {
        @Override
        public void encode(String value, Writer writer) {
            try {
                writer.write(value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private final Mustache mustache;
    private final Set<String> names;

    private Template(Mustache mustache, Set<String> names) {
        this.mustache = mustache;
        this.names = names;
    }

    /**
     * Compiles a template.
     *
     * @param what how messages name it, for example {@code prompt}
     * @throws IllegalArgumentException when it is not a valid template
     */
    public static Template compile(String text, String what) {
        Mustache mustache;
        try {
            mustache = FACTORY.compile(new StringReader(text), what);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(what + " is not a valid template: " + e.getMessage());
        }
        Set<String> names = new LinkedHashSet<>();
        collect(mustache.getCodes(), names);
        return new Template(mustache, Set.copyOf(names));
    }

    private static void collect(Code[] codes, Set<String> into) {
        if (codes == null) {
            return;
        }
        for (Code code : codes) {
            if (code.getName() != null && (code instanceof ValueCode || code.getCodes() != null)) {
                into.add(code.getName().split("\\.")[0]);
            }
            collect(code.getCodes(), into);
        }
    }

    /** The top-level names the template uses ({@code a} for {@code {{a.b}}}). */
    public Set<String> names() {
        return names;
    }

    /**
     * Checks that every name the template uses is known.
     *
     * @throws IllegalArgumentException naming the first unknown one
     */
    public void requireKnown(Set<String> known, String what) {
        for (String name : names) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException(what + " uses field '" + name + "', which is not in fields or an earlier"
                        + " step's output " + known);
            }
        }
    }

    /** The text for a context (JSON-like maps, lists and values). */
    public String render(Map<String, Object> context) {
        StringWriter text = new StringWriter();
        mustache.execute(text, context);
        return text.toString();
    }
}
