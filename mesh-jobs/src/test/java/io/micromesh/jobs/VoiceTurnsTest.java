package io.micromesh.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micromesh.core.spi.PcmAudio;
import io.micromesh.engines.audio.AudioDecoder;
import io.micromesh.testkit.Wavs;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Telling two voices of a mono recording apart by pitch, on turns espeak-ng speaks in a low and a
 * high voice: each stretch of a quarter second stands for a word, whose speaker is known.
 */
@Timeout(120)
class VoiceTurnsTest {

    private static final String[] TURNS = {"good morning, thank you for calling, how can I help you today",
            "my parcel has not arrived and the tracking page shows nothing at all",
            "I am sorry to hear that, let me look up your order number",
            "it is four five one two, I ordered it two weeks ago",
            "thank you, I can see it was sent to the wrong address, I will send a new one today",
            "that is great, thank you very much for your help"};

    private record Call(PcmAudio audio, List<Utterances.Word> words, List<Integer> speakers) {
    }

    /** The turns spoken alternately by two voices, a third of a second apart, at 16 kHz. */
    private static Call call(String first, String second) {
        ByteArrayOutputStream pcm = new ByteArrayOutputStream();
        List<Utterances.Word> words = new ArrayList<>();
        List<Integer> speakers = new ArrayList<>();
        double at = 0;
        for (int t = 0; t < TURNS.length; t++) {
            PcmAudio turn = AudioDecoder.decode(Wavs.speech(TURNS[t], t % 2 == 0 ? first : second), 16_000, 60);
            pcm.writeBytes(turn.samples());
            for (double w = 0; w + 0.25 <= turn.seconds(); w += 0.25) {
                words.add(new Utterances.Word("w", at + w, at + w + 0.25));
                speakers.add(t % 2);
            }
            pcm.writeBytes(new byte[2 * 16_000 / 3]);
            at += turn.seconds() + 1.0 / 3;
        }
        return new Call(new PcmAudio(pcm.toByteArray(), 16_000), words, speakers);
    }

    @Test
    void aLowAndAHighVoiceAreToldApartWithTheFirstSpeakerFirst() {
        assumeTrue(Wavs.canSpeak(), "espeak-ng is not installed (.ci/run installs it)");
        Call call = call("en-us+m3", "en-us+f2");
        Optional<int[]> voices = VoiceTurns.speakers(call.words(), call.audio());
        assertThat(voices).isPresent();
        int right = 0;
        for (int i = 0; i < call.speakers().size(); i++) {
            right += voices.get()[i] == call.speakers().get(i) ? 1 : 0;
        }
        assertThat(right / (double) call.speakers().size()).as("%d of %d stretches", right, call.speakers().size())
                .isGreaterThanOrEqualTo(0.9);
        assertThat(voices.get()[0]).as("the first to speak is speaker 0").isZero();
    }

    @Test
    void oneVoiceIsNotSplitIntoTwo() {
        assumeTrue(Wavs.canSpeak(), "espeak-ng is not installed (.ci/run installs it)");
        Call call = call("en-us+m3", "en-us+m3");
        assertThat(VoiceTurns.speakers(call.words(), call.audio())).isEmpty();
    }

    @Test
    void silenceHasNoVoices() {
        List<Utterances.Word> words = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            words.add(new Utterances.Word("w", i * 0.3, i * 0.3 + 0.25));
        }
        assertThat(VoiceTurns.speakers(words, new PcmAudio(new byte[2 * 16_000 * 4], 16_000))).isEmpty();
    }
}
