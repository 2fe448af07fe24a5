package io.micromesh.jobs.task;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code step: redact-pii}: the text with card numbers, IBANs, e-mail addresses, phone numbers and
 * spelled-out digits replaced by typed placeholders ({@link PiiRedactor}). Rules, not a model: its
 * confidence is always 1.
 *
 * <pre>
 * - step: redact-pii
 *   as: redacted                 # the output field (default: redact-pii's name, redact_pii)
 *   text: "{{transcript}}"       # a template over the record's fields
 *   kinds: [card, iban, email, phone, number]   # what to redact (default: all)
 *   region: US                   # phone numbers without a country code are read as this country's
 * </pre>
 */
final class RedactPiiStep implements Step {

    record Settings(String text, List<String> kinds, String region) {
    }

    private final Template text;
    private final PiiRedactor redactor;

    private RedactPiiStep(Template text, PiiRedactor redactor) {
        this.text = text;
        this.redactor = redactor;
    }

    static Steps.Definition define(String name, ObjectNode declaration) {
        Settings settings = Steps.settings(declaration, Settings.class);
        Template text = Steps.text(settings.text());
        Set<PiiRedactor.Kind> kinds = EnumSet.allOf(PiiRedactor.Kind.class);
        if (settings.kinds() != null) {
            kinds = EnumSet.noneOf(PiiRedactor.Kind.class);
            for (String kind : settings.kinds()) {
                try {
                    kinds.add(PiiRedactor.Kind.valueOf(kind.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("kinds: unknown kind '" + kind + "'; the kinds are card, iban, email,"
                            + " phone, number");
                }
            }
        }
        PiiRedactor redactor = new PiiRedactor(kinds, settings.region() == null ? "US" : settings.region());
        return new Steps.Declared(name, "redact-pii", 0, text.names(),
                resources -> new RedactPiiStep(text, redactor));
    }

    @Override
    public Result apply(Map<String, Object> context) {
        return new Result(TextNode.valueOf(redactor.redact(text.render(context)).text()), 1.0);
    }
}
