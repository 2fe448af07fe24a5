package io.micromesh.jobs.summary;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a line of dialogue into reported speech, the way summaries of conversations are written:
 * "#Person2#: Oh, I've lost my card, can you block it?" becomes "#Person2# has lost #Person2#'s
 * card, can #Person1# block it?". Leading fillers (oh, well, yes, okay, hello…) are dropped; "I",
 * "me", "my" name the speaker and "you", "your" the one spoken to, with the verbs that follow the
 * common contractions (I'm, I've, you're…) agreed; the speaker's label opens the sentence when it
 * is not named in it. A rule list, not a model: measured on DialogSum (docs/benchmarks.md) it is
 * most of what lifts an extract's ROUGE-L above the first sentences of the dialogue, because
 * reference summaries name the speakers where dialogue says "I" and "you".
 */
public final class ThirdPerson {

    private record Rule(Pattern pattern, String replacement) {
    }

    private static final Pattern FILLERS = Pattern.compile("^((oh|well|yes|yeah|no|ok|okay|um|uh|hi|hello|hey|sure|right"
            + "|so|and|but|ah|wow|really|great|good|fine|thanks|thank you)\\b[\\s,.!]*)+", Pattern.CASE_INSENSITIVE);

    /** Not after an auxiliary: "do you have" stays "do #Person2# have", not "has". */
    private static final String NOT_ASKED = "(?<!\\b(?:do|does|did|can|could|will|would|shall|should|may|might|must|to) )";

    /** What "I" becomes; {@code $s} stands for the speaker. Order matters: contractions before the bare pronoun. */
    private static final List<Rule> SELF = List.of(
            rule("\\bI ?' ?m\\b|\\bI am\\b", "$s is"),
            rule("\\bI ?' ?ve\\b|" + NOT_ASKED + "\\bI have\\b", "$s has"),
            rule("\\bI ?' ?ll\\b", "$s will"),
            rule("\\bI ?' ?d\\b", "$s would"),
            rule("\\bmyself\\b", "$s"),
            rule("\\bmy\\b|\\bmine\\b", "$s's"),
            rule("\\bI\\b|\\bme\\b", "$s"));

    /** What "you" becomes; {@code $s} stands for the one spoken to. */
    private static final List<Rule> OTHER = List.of(
            rule("\\byou ?' ?re\\b|\\byou are\\b", "$s is"),
            rule("\\byou ?' ?ve\\b|" + NOT_ASKED + "\\byou have\\b", "$s has"),
            rule("\\byou ?' ?ll\\b", "$s will"),
            rule("\\byour\\b", "$s's"),
            rule("\\byou\\b", "$s"));

    private ThirdPerson() {
    }

    private static Rule rule(String pattern, String replacement) {
        // any case: speech recognisers write "i" and "i'm"
        return new Rule(Pattern.compile(pattern, Pattern.CASE_INSENSITIVE), replacement);
    }

    /**
     * The sentence in reported speech.
     *
     * @param body    the sentence without its speaker's label
     * @param speaker who said it, or null when unknown (then only fillers are dropped)
     * @param other   who it was said to, or null when unknown ("you" then stays)
     */
    public static String report(String body, String speaker, String other) {
        String text = FILLERS.matcher(body).replaceFirst("");
        if (speaker != null) {
            text = apply(SELF, text, speaker);
        }
        if (other != null) {
            text = apply(OTHER, text, other);
        }
        text = text.strip();
        if (text.isEmpty()) {
            return "";
        }
        text = Character.toUpperCase(text.charAt(0)) + text.substring(1);
        return speaker == null || text.contains(speaker) ? text : speaker + ": " + text;
    }

    private static String apply(List<Rule> rules, String text, String who) {
        String replaced = text;
        for (Rule rule : rules) {
            replaced = rule.pattern().matcher(replaced).replaceAll(Matcher.quoteReplacement(rule.replacement().replace("$s", who)));
        }
        return replaced;
    }
}
