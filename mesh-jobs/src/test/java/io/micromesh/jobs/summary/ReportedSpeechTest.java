package io.micromesh.jobs.summary;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Conversations turned into sentences with speakers, and those sentences into reported speech. */
@Timeout(10)
class ReportedSpeechTest {

    @Test
    void firstAndSecondPersonNameTheSpeakers() {
        assertThat(ThirdPerson.report("Oh, I've lost my card, can you block it?", "#Person2#", "#Person1#"))
                .isEqualTo("#Person2# has lost #Person2#'s card, can #Person1# block it?");
        assertThat(ThirdPerson.report("I am sorry, you're right about your bill.", "Agent", "Customer"))
                .isEqualTo("Agent is sorry, Customer is right about Customer's bill.");
        // DialogSum's spacing of contractions, and a recogniser's lower-case "i"
        assertThat(ThirdPerson.report("I ' Ve been having trouble breathing lately.", "#Person2#", "#Person1#"))
                .isEqualTo("#Person2# has been having trouble breathing lately.");
        assertThat(ThirdPerson.report("well i'm calling because my parcel is late.", "Customer", "Agent"))
                .isEqualTo("Customer is calling because Customer's parcel is late.");
        assertThat(ThirdPerson.report("Do you have any allergies? May I have your name? I have none.", "#Person1#", "#Person2#"))
                .isEqualTo("Do #Person2# have any allergies? May #Person1# have #Person2#'s name? #Person1# has none.");
    }

    @Test
    void theSpeakerOpensASentenceThatDoesNotNameThem() {
        assertThat(ThirdPerson.report("The parcel never came.", "Customer", "Agent")).isEqualTo("Customer: The parcel never came.");
        assertThat(ThirdPerson.report("Yes, thank you.", "Customer", "Agent")).as("nothing but fillers").isEmpty();
    }

    @Test
    void withoutSpeakersOnlyFillersGo() {
        assertThat(ThirdPerson.report("okay so I want to cancel my plan.", null, null)).isEqualTo("I want to cancel my plan.");
    }

    @Test
    void sentencesKeepTheSpeakerOfTheirTurn() {
        List<DialogueSentence> sentences = DialogueSentence.of("""
                #Person1#: Hello. How can I help you?
                #Person2#: My order is late. I need it by Friday.""");
        assertThat(sentences).extracting(DialogueSentence::speaker)
                .containsExactly("#Person1#", "#Person1#", "#Person2#", "#Person2#");
        assertThat(sentences).extracting(DialogueSentence::text)
                .containsExactly("#Person1#: Hello.", "How can I help you?", "#Person2#: My order is late.", "I need it by Friday.");
        assertThat(sentences.get(1).reported()).isEqualTo("How can #Person1# help #Person2#?");
        assertThat(sentences.get(3).reported()).isEqualTo("#Person2# need it by Friday.");
        assertThat(sentences.getFirst().reported()).isEmpty();
        assertThat(DialogueSentence.of("my order is late. when will it come?")).extracting(DialogueSentence::speaker)
                .containsOnlyNulls();
    }
}
