package io.micromesh.jobs.task;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.Month;
import java.time.MonthDay;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code step: entities}: amounts with their currency, dates and reference numbers (account, order,
 * invoice, ticket ...) found by patterns and kept only when they are valid: a date must exist in
 * the calendar, an amount must parse, a reference must hold a digit. Rules, not a model: its
 * confidence is 1. The value is {@code {"amounts": [{"text", "value", "currency"}], "dates":
 * [{"text", "date"}], "references": [{"text", "kind", "value"}]}}; dates are ISO
 * ({@code 2026-11-26}, or {@code --11-26} without a year). Numeric dates read month first when
 * {@code day-first} is false (the default, as in the US), day first otherwise.
 *
 * <pre>
 * - step: entities
 *   text: "{{transcript}}"
 *   day-first: false
 * </pre>
 */
final class EntitiesStep implements Step {

    record Settings(String text, Boolean dayFirst) {
    }

    private static final String NUMBER = "(\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.(\\d{1,2}))?";
    private static final Pattern AMOUNT_SYMBOL = Pattern.compile("([$€£¥])\\s?" + NUMBER + "(?![\\d.,]*\\d)");
    private static final Pattern AMOUNT_WORD = Pattern.compile("(?<![\\d.,])" + NUMBER
            + "\\s?(dollars?|bucks|euros?|pounds?|yen|USD|EUR|GBP|JPY|CHF|CAD|AUD)\\b", Pattern.CASE_INSENSITIVE);
    private static final Map<String, String> CURRENCIES = Map.ofEntries(Map.entry("$", "USD"), Map.entry("€", "EUR"),
            Map.entry("£", "GBP"), Map.entry("¥", "JPY"), Map.entry("dollar", "USD"), Map.entry("buck", "USD"),
            Map.entry("euro", "EUR"), Map.entry("pound", "GBP"), Map.entry("yen", "JPY"));
    private static final Pattern ISO_DATE = Pattern.compile("(?<!\\d)(\\d{4})-(\\d{2})-(\\d{2})(?!\\d)");
    private static final Pattern NUMERIC_DATE = Pattern.compile("(?<![\\d/])(\\d{1,2})/(\\d{1,2})/(\\d{4}|\\d{2})(?![\\d/])");
    private static final String MONTHS = "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
            + "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
    private static final Pattern MONTH_DAY = Pattern.compile("\\b" + MONTHS + "\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(\\d{4})\\b)?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern DAY_MONTH = Pattern.compile("\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?" + MONTHS
            + "\\b\\.?(?:,?\\s+(\\d{4})\\b)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern REFERENCE = Pattern.compile("\\b(account|order|invoice|ticket|case|booking|confirmation|"
            + "tracking|reference|ref|policy|customer)\\s*(?:number|no\\.?|num|id|#)?\\s*(?:is\\s+|:\\s*|#\\s*)?"
            + "([A-Za-z0-9][A-Za-z0-9-]{3,24})\\b", Pattern.CASE_INSENSITIVE);

    private final Template text;
    private final boolean dayFirst;

    private EntitiesStep(Template text, boolean dayFirst) {
        this.text = text;
        this.dayFirst = dayFirst;
    }

    static Steps.Definition define(String name, ObjectNode declaration) {
        Settings settings = Steps.settings(declaration, Settings.class);
        Template text = Steps.text(settings.text());
        boolean dayFirst = Boolean.TRUE.equals(settings.dayFirst());
        return new Steps.Declared(name, "entities", 0, text.names(),
                resources -> new EntitiesStep(text, dayFirst));
    }

    @Override
    public Result apply(Map<String, Object> context) {
        return new Result(find(text.render(context)), 1.0);
    }

    /** The entities of a text. */
    ObjectNode find(String s) {
        ObjectNode found = Json.object();
        ArrayNode amounts = found.putArray("amounts");
        Matcher m = AMOUNT_SYMBOL.matcher(s);
        while (m.find()) {
            amounts.addObject().put("text", m.group()).put("value", amount(m.group(2), m.group(3)))
                    .put("currency", CURRENCIES.get(m.group(1)));
        }
        m = AMOUNT_WORD.matcher(s);
        while (m.find()) {
            String unit = m.group(3);
            String word = unit.toLowerCase(Locale.ROOT);
            String currency = unit.length() == 3 && !word.equals("yen") ? unit.toUpperCase(Locale.ROOT)
                    : CURRENCIES.get(word.endsWith("s") ? word.substring(0, word.length() - 1) : word);
            amounts.addObject().put("text", m.group()).put("value", amount(m.group(1), m.group(2))).put("currency", currency);
        }
        ArrayNode dates = found.putArray("dates");
        m = ISO_DATE.matcher(s);
        while (m.find()) {
            date(dates, m.group(), m.group(1), m.group(2), m.group(3));
        }
        m = NUMERIC_DATE.matcher(s);
        while (m.find()) {
            String year = m.group(3).length() == 2 ? "20" + m.group(3) : m.group(3);
            date(dates, m.group(), year, dayFirst ? m.group(2) : m.group(1), dayFirst ? m.group(1) : m.group(2));
        }
        m = MONTH_DAY.matcher(s);
        while (m.find()) {
            date(dates, m.group(), m.group(3), String.valueOf(month(m.group(1))), m.group(2));
        }
        m = DAY_MONTH.matcher(s);
        while (m.find()) {
            date(dates, m.group(), m.group(3), String.valueOf(month(m.group(2))), m.group(1));
        }
        ArrayNode references = found.putArray("references");
        m = REFERENCE.matcher(s);
        while (m.find()) {
            String value = m.group(2);
            if (value.chars().anyMatch(Character::isDigit)) {
                String kind = m.group(1).toLowerCase(Locale.ROOT);
                references.addObject().put("text", m.group()).put("kind", kind.equals("ref") ? "reference" : kind)
                        .put("value", value);
            }
        }
        return found;
    }

    private static BigDecimal amount(String whole, String cents) {
        return new BigDecimal(whole.replace(",", "") + (cents == null ? "" : "." + cents));
    }

    private static int month(String name) {
        String key = name.toLowerCase(Locale.ROOT).substring(0, 3);
        for (Month month : Month.values()) {
            if (month.name().toLowerCase(Locale.ROOT).startsWith(key)) {
                return month.getValue();
            }
        }
        throw new IllegalStateException(name);
    }

    /** Adds the date when it exists in the calendar. */
    private static void date(ArrayNode dates, String text, String year, String month, String day) {
        try {
            String iso = year == null ? MonthDay.of(Integer.parseInt(month), Integer.parseInt(day)).toString()
                    : LocalDate.of(Integer.parseInt(year), Integer.parseInt(month), Integer.parseInt(day)).toString();
            dates.addObject().put("text", text).put("date", iso);
        } catch (DateTimeException | NumberFormatException e) {
            // not a date: 31/02, 13/13
        }
    }
}
