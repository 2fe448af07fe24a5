package io.micromesh.jobs;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a speaker's words into utterances at pauses, from the word times a speech engine gives,
 * and restores what an engine without punctuation (Vosk) leaves out: each utterance starts with a
 * capital and ends with a full stop unless it already ends a sentence. Later steps (the summary's
 * sentence scores, the first and last turn of the customer) then work on sentence-sized pieces
 * instead of one unpunctuated run of words. The pause is a default, not tuned on labelled calls:
 * {@value #PAUSE_SECONDS} s, about where people pause between sentences rather than between words.
 */
public final class Utterances {

    /** The silence between two words that ends an utterance, in seconds. */
    public static final double PAUSE_SECONDS = 0.6;

    /** A recognized word and its times in the audio, in seconds. */
    public record Word(String text, double start, double end) {
    }

    /** An utterance: its times and its text, a sentence as far as the words can tell. */
    public record Utterance(double start, double end, String text) {
    }

    private Utterances() {
    }

    /** The utterances of words in time order, split where the silence between two reaches {@code pause} seconds. */
    public static List<Utterance> split(List<Word> words, double pause) {
        List<Utterance> utterances = new ArrayList<>();
        List<Word> current = new ArrayList<>();
        for (Word word : words) {
            if (word.text().isBlank()) {
                continue;
            }
            if (!current.isEmpty() && word.start() - current.getLast().end() >= pause) {
                utterances.add(utterance(current));
                current.clear();
            }
            current.add(word);
        }
        if (!current.isEmpty()) {
            utterances.add(utterance(current));
        }
        return utterances;
    }

    private static Utterance utterance(List<Word> words) {
        StringBuilder text = new StringBuilder();
        for (Word word : words) {
            text.append(text.isEmpty() ? "" : " ").append(word.text().strip());
        }
        String sentence = text.toString();
        sentence = sentence.substring(0, 1).toUpperCase(Locale.ROOT) + sentence.substring(1);
        char last = sentence.charAt(sentence.length() - 1);
        if (last != '.' && last != '?' && last != '!') {
            sentence = sentence.replaceAll("[,;:]+$", "") + ".";
        }
        return new Utterance(words.getFirst().start(), words.getLast().end(), sentence);
    }
}
