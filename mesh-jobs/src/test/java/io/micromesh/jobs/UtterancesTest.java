package io.micromesh.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.micromesh.jobs.Utterances.Utterance;
import io.micromesh.jobs.Utterances.Word;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Utterances from known word times: split at pauses, sentences restored, times kept. */
@Timeout(10)
class UtterancesTest {

    @Test
    void wordsAreSplitAtPausesIntoSentences() {
        List<Word> words = List.of(new Word("hello", 0.0, 0.4), new Word("there", 0.45, 0.8),
                new Word("my", 1.6, 1.7), new Word("parcel", 1.75, 2.1), new Word("is", 2.15, 2.2), new Word("late", 2.3, 2.6),
                new Word("can", 2.9, 3.0), new Word("you", 3.05, 3.2), new Word("help?", 3.25, 3.6),
                new Word("thanks,", 5.0, 5.4));
        List<Utterance> utterances = Utterances.split(words, Utterances.PAUSE_SECONDS);
        assertThat(utterances).containsExactly(
                new Utterance(0.0, 0.8, "Hello there."),
                new Utterance(1.6, 3.6, "My parcel is late can you help?"),
                new Utterance(5.0, 5.4, "Thanks."));
    }

    @Test
    void aShorterPauseSplitsMoreAndNoWordsGiveNoUtterance() {
        List<Word> words = List.of(new Word("yes", 0.0, 0.2), new Word("", 0.3, 0.3), new Word("exactly", 0.5, 0.9));
        assertThat(Utterances.split(words, 0.25)).extracting(Utterance::text).containsExactly("Yes.", "Exactly.");
        assertThat(Utterances.split(words, 1.0)).extracting(Utterance::text).containsExactly("Yes exactly.");
        assertThat(Utterances.split(List.of(), 0.6)).isEmpty();
    }
}
