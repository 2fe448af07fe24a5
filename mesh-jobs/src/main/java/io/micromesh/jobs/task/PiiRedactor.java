package io.micromesh.jobs.task;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberMatch;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds personal data in a text and replaces each piece with a typed placeholder ({@code [CARD]},
 * {@code [IBAN]}, {@code [EMAIL]}, {@code [PHONE]}, {@code [NUMBER]}): card numbers that pass the
 * Luhn check, IBANs that pass the mod-97 check (and have their country's length, where known),
 * e-mail addresses, phone numbers that Google's libphonenumber finds valid for the region, and
 * digits spelled out in words ("four five seven one", "double two"), as speech to text writes them,
 * typed by what their digits are. A number whose checksum fails is left as it is: a wrong
 * redaction loses information, and what fails the check is not a card or an account.
 *
 * <p>Written by hand except for phone numbers: the checksums are a few lines each, and no
 * well-kept library both finds these in free text and validates them. Thread-safe.
 */
public final class PiiRedactor {

    /** What a placeholder stands for, in the order that settles overlaps (earlier wins). */
    public enum Kind {
        EMAIL, IBAN, CARD, PHONE, NUMBER;

        /** The placeholder, for example {@code [CARD]}. */
        public String placeholder() {
            return "[" + name() + "]";
        }
    }

    /** A redacted text and how many pieces of each kind it had. */
    public record Redaction(String text, Map<Kind, Integer> counts) {
    }

    /** A piece of text found; kind null: protected, left as it is and from other kinds (an IBAN with a wrong check). */
    private record Span(Kind kind, int start, int end) {
    }

    private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}");
    /** Digits in groups separated by one space or hyphen: a card number as written or read out. */
    private static final Pattern DIGIT_RUN = Pattern.compile("(?<![\\dA-Za-z])\\d+(?:[ -]\\d+)*(?![\\d])");
    private static final Pattern DIGITS = Pattern.compile("\\d+");
    private static final Pattern IBAN_START = Pattern.compile("(?<![A-Za-z0-9])[A-Za-z]{2}\\d{2}");
    private static final Pattern WORD = Pattern.compile("[A-Za-z]+");
    /** What may stand between two spelled-out digits of one number. */
    private static final Pattern SEPARATOR = Pattern.compile("[\\s,.-]*");
    private static final Map<String, Integer> DIGIT_WORDS = Map.ofEntries(Map.entry("zero", 0), Map.entry("oh", 0),
            Map.entry("one", 1), Map.entry("two", 2), Map.entry("three", 3), Map.entry("four", 4), Map.entry("five", 5),
            Map.entry("six", 6), Map.entry("seven", 7), Map.entry("eight", 8), Map.entry("nine", 9));
    /** Spelled-out digits shorter than this are ordinary words ("one or two"). */
    private static final int MIN_SPELLED_DIGITS = 4;

    /** IBAN lengths by country (ISO 13616 registry), for the countries most often met; others: 15 to 34. */
    private static final Map<String, Integer> IBAN_LENGTHS = Map.ofEntries(
            Map.entry("AT", 20), Map.entry("BE", 16), Map.entry("BG", 22), Map.entry("CH", 21), Map.entry("CY", 28),
            Map.entry("CZ", 24), Map.entry("DE", 22), Map.entry("DK", 18), Map.entry("EE", 20), Map.entry("ES", 24),
            Map.entry("FI", 18), Map.entry("FR", 27), Map.entry("GB", 22), Map.entry("GR", 27), Map.entry("HR", 21),
            Map.entry("HU", 28), Map.entry("IE", 22), Map.entry("IS", 26), Map.entry("IT", 27), Map.entry("LI", 21),
            Map.entry("LT", 20), Map.entry("LU", 20), Map.entry("LV", 21), Map.entry("MC", 27), Map.entry("MT", 31),
            Map.entry("NL", 18), Map.entry("NO", 15), Map.entry("PL", 28), Map.entry("PT", 25), Map.entry("RO", 24),
            Map.entry("SE", 24), Map.entry("SI", 19), Map.entry("SK", 24), Map.entry("SM", 27), Map.entry("TR", 26));

    private final Set<Kind> kinds;
    private final String region;
    private final PhoneNumberUtil phones = PhoneNumberUtil.getInstance();

    /**
     * @param kinds  what to redact
     * @param region the ISO 3166 country whose phone numbers may be written without a country code
     * @throws IllegalArgumentException when the region is not one libphonenumber knows
     */
    public PiiRedactor(Set<Kind> kinds, String region) {
        if (!PhoneNumberUtil.getInstance().getSupportedRegions().contains(region)) {
            throw new IllegalArgumentException("region '" + region + "' is not a country code that phone numbers know (e.g. US, GB, DE)");
        }
        this.kinds = kinds.isEmpty() ? EnumSet.noneOf(Kind.class) : EnumSet.copyOf(kinds);
        this.region = region;
    }

    /** The text with every piece of personal data found replaced by its placeholder. */
    public Redaction redact(String text) {
        List<Span> spans = new ArrayList<>();
        if (kinds.contains(Kind.EMAIL)) {
            Matcher m = EMAIL.matcher(text);
            while (m.find()) {
                spans.add(new Span(Kind.EMAIL, m.start(), m.end()));
            }
        }
        if (kinds.contains(Kind.IBAN)) {
            ibans(text, spans);
        }
        if (kinds.contains(Kind.CARD)) {
            cards(text, spans);
        }
        spelled(text, spans);
        if (kinds.contains(Kind.PHONE)) {
            for (PhoneNumberMatch match : phones.findNumbers(text, region, PhoneNumberUtil.Leniency.VALID, Long.MAX_VALUE)) {
                spans.add(new Span(Kind.PHONE, match.start(), match.end()));
            }
        }
        // overlaps: protected spans (kind null) first, then the earlier kind, then the longer span
        spans.sort(Comparator.comparing(Span::kind, Comparator.nullsFirst(Comparator.<Kind>naturalOrder()))
                .thenComparing(s -> s.start() - s.end()));
        List<Span> kept = new ArrayList<>();
        for (Span span : spans) {
            if (kept.stream().noneMatch(k -> span.start() < k.end() && k.start() < span.end())) {
                kept.add(span);
            }
        }
        kept.removeIf(span -> span.kind() == null);
        kept.sort(Comparator.comparingInt(Span::start));
        StringBuilder out = new StringBuilder(text.length());
        Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
        int at = 0;
        for (Span span : kept) {
            out.append(text, at, span.start()).append(span.kind().placeholder());
            counts.merge(span.kind(), 1, Integer::sum);
            at = span.end();
        }
        out.append(text, at, text.length());
        return new Redaction(out.toString(), counts);
    }

    /**
     * Card numbers: a run of 13 to 19 digits (in groups or not) that passes the Luhn check. A run of
     * 13 to 19 digits that fails it is a number of another kind and is left whole; in a longer run
     * (a card number read out with its expiry date, say) the longest stretch of whole groups that
     * passes is the card number.
     */
    private static void cards(String text, List<Span> spans) {
        Matcher m = DIGIT_RUN.matcher(text);
        while (m.find()) {
            String run = m.group().replaceAll("[ -]", "");
            if (run.length() < 13) {
                continue;
            }
            if (run.length() <= 19) {
                if (luhn(run)) {
                    spans.add(new Span(Kind.CARD, m.start(), m.end()));
                }
                continue;
            }
            List<int[]> groups = new ArrayList<>();
            Matcher g = DIGITS.matcher(text).region(m.start(), m.end());
            while (g.find()) {
                groups.add(new int[] {g.start(), g.end()});
            }
            int[] best = null;
            for (int from = 0; from < groups.size(); from++) {
                for (int to = from; to < groups.size(); to++) {
                    String digits = text.substring(groups.get(from)[0], groups.get(to)[1]).replaceAll("[ -]", "");
                    boolean longer = best == null || digits.length() > best[2];
                    if (digits.length() >= 13 && digits.length() <= 19 && longer && luhn(digits)) {
                        best = new int[] {groups.get(from)[0], groups.get(to)[1], digits.length()};
                    }
                }
            }
            if (best != null) {
                spans.add(new Span(Kind.CARD, best[0], best[1]));
            }
        }
    }

    /** IBANs: two letters, two check digits, then letters and digits (single spaces allowed) to the country's length. */
    private static void ibans(String text, List<Span> spans) {
        Matcher m = IBAN_START.matcher(text);
        while (m.find()) {
            String country = text.substring(m.start(), m.start() + 2).toUpperCase(Locale.ROOT);
            StringBuilder iban = new StringBuilder(text.substring(m.start(), m.end()).toUpperCase(Locale.ROOT));
            List<Integer> ends = new ArrayList<>();  // ends.get(i): where the text ends after i + 5 characters of IBAN
            int i = m.end();
            ends.add(i);
            while (i < text.length() && iban.length() < 34) {
                char c = text.charAt(i);
                if (c == ' ' && i + 1 < text.length() && Character.isLetterOrDigit(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                if (!(c < 128 && Character.isLetterOrDigit(c))) {
                    break;
                }
                iban.append(Character.toUpperCase(c));
                i++;
                ends.add(i);
            }
            Integer known = IBAN_LENGTHS.get(country);
            if (known != null && iban.length() >= known) {
                int end = ends.get(known - 4);
                if (end == text.length() || !Character.isLetterOrDigit(text.charAt(end))) {
                    // an IBAN's shape with a wrong check: not redacted, and not taken for a card number either
                    spans.add(new Span(ibanValid(iban.substring(0, known)) ? Kind.IBAN : null, m.start(), end));
                    continue;
                }
            }
            for (int length = Math.min(iban.length(), 34); length >= 15; length--) {
                if (known != null && length != known) {
                    continue;
                }
                int end = ends.get(length - 4);
                boolean wholeToken = end == text.length() || !Character.isLetterOrDigit(text.charAt(end));
                if (wholeToken && ibanValid(iban.substring(0, length))) {
                    spans.add(new Span(Kind.IBAN, m.start(), end));
                    break;
                }
            }
        }
    }

    /** Digits spelled out in words, typed by their digits: a card number, a phone number, else a number. */
    private void spelled(String text, List<Span> spans) {
        Matcher m = WORD.matcher(text);
        int runStart = -1;
        int runEnd = -1;
        int lastEnd = -1;
        int repeat = 1;
        StringBuilder digits = new StringBuilder();
        while (m.find()) {
            String word = m.group().toLowerCase(Locale.ROOT);
            Integer digit = DIGIT_WORDS.get(word);
            int times = word.equals("double") ? 2 : word.equals("triple") ? 3 : 0;
            boolean numeric = digit != null || times > 0;
            boolean adjacent = runStart >= 0 && SEPARATOR.matcher(text).region(lastEnd, m.start()).matches();
            if (runStart >= 0 && (!numeric || !adjacent)) {
                spelledRun(digits, runStart, runEnd, spans);
                runStart = -1;
                repeat = 1;
                digits.setLength(0);
            }
            if (numeric) {
                if (runStart < 0) {
                    runStart = m.start();
                }
                if (digit != null) {
                    digits.append(String.valueOf(digit).repeat(repeat));
                    repeat = 1;
                    runEnd = m.end();
                } else {
                    repeat = times;
                }
                lastEnd = m.end();
            }
        }
        if (runStart >= 0) {
            spelledRun(digits, runStart, runEnd, spans);
        }
    }

    private void spelledRun(CharSequence digits, int start, int end, List<Span> spans) {
        if (digits.length() >= MIN_SPELLED_DIGITS) {
            Kind kind = typeOf(digits.toString());
            if (kinds.contains(kind)) {
                spans.add(new Span(kind, start, end));
            }
        }
    }

    private Kind typeOf(String digits) {
        if (digits.length() >= 13 && digits.length() <= 19 && luhn(digits)) {
            return Kind.CARD;
        }
        try {
            if (phones.isValidNumber(phones.parse(digits, region))) {
                return Kind.PHONE;
            }
        } catch (NumberParseException e) {
            // not a phone number
        }
        return Kind.NUMBER;
    }

    /** The Luhn check of a string of digits. */
    static boolean luhn(String digits) {
        int sum = 0;
        boolean twice = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (d < 0 || d > 9) {
                return false;
            }
            if (twice) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            twice = !twice;
        }
        return sum % 10 == 0;
    }

    /** The ISO 7064 mod-97 check of an IBAN (upper case, no spaces): the rearranged number mod 97 is 1. */
    static boolean ibanValid(String iban) {
        if (iban.length() < 15 || iban.length() > 34 || !iban.matches("[A-Z]{2}\\d{2}[A-Z0-9]+")) {
            return false;
        }
        String rearranged = iban.substring(4) + iban.substring(0, 4);
        int remainder = 0;
        for (int i = 0; i < rearranged.length(); i++) {
            char c = rearranged.charAt(i);
            int value = Character.isDigit(c) ? c - '0' : c - 'A' + 10;
            remainder = value < 10 ? (remainder * 10 + value) % 97 : (remainder * 100 + value) % 97;
        }
        return remainder == 1;
    }
}
