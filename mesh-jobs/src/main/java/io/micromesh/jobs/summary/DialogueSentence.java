package io.micromesh.jobs.summary;

import io.micromesh.jobs.task.Sentences;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;

/**
 * One sentence of a conversation, as the summarizer sees it.
 *
 * @param index     its place in the conversation, from 0
 * @param speaker   the label of whoever said it ({@code #Person1#}, {@code Agent}), or null when the
 *                  transcript has no labels (a mono recording)
 * @param text      the sentence as written, with the speaker's label when it opens a turn
 * @param body      the sentence without the label
 * @param reported  the sentence in the third person ({@link ThirdPerson}), as a summary shows it
 */
public record DialogueSentence(int index, String speaker, String text, String body, String reported) {

    /**
     * The sentences of a transcript whose turns may start with a speaker's label: each sentence
     * carries the speaker of its turn, and its reported form names the speaker and the one spoken to
     * (the first other speaker to have talked) instead of "I" and "you".
     */
    public static List<DialogueSentence> of(String transcript) {
        List<String> sentences = Sentences.split(transcript);
        List<String> speakers = new ArrayList<>();
        List<String> speakerOf = new ArrayList<>();
        String current = null;
        for (String sentence : sentences) {
            Matcher m = Sentences.SPEAKER.matcher(sentence);
            if (m.find()) {
                current = m.group(1).strip();
                if (!speakers.contains(current)) {
                    speakers.add(current);
                }
            }
            speakerOf.add(current);
        }
        List<DialogueSentence> result = new ArrayList<>(sentences.size());
        for (int i = 0; i < sentences.size(); i++) {
            String sentence = sentences.get(i);
            String body = Sentences.SPEAKER.matcher(sentence).replaceFirst("").strip();
            String speaker = speakerOf.get(i);
            String other = speakers.stream().filter(s -> !s.equals(speaker)).findFirst().orElse(null);
            result.add(new DialogueSentence(i, speaker, sentence, body, ThirdPerson.report(body, speaker, other)));
        }
        return result;
    }
}
