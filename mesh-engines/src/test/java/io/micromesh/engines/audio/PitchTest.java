package io.micromesh.engines.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micromesh.core.spi.PcmAudio;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pitch of known signals. */
@Timeout(10)
class PitchTest {

    /** A second of a voiced-like signal: a fundamental and two harmonics, at 16 kHz. */
    private static PcmAudio voice(double hz) {
        byte[] pcm = new byte[2 * 16_000];
        for (int i = 0; i < 16_000; i++) {
            double t = i / 16_000.0;
            double s = 6000 * Math.sin(2 * Math.PI * hz * t) + 3000 * Math.sin(4 * Math.PI * hz * t) + 1500 * Math.sin(6 * Math.PI * hz * t);
            short v = (short) Math.round(s);
            pcm[2 * i] = (byte) v;
            pcm[2 * i + 1] = (byte) (v >> 8);
        }
        return new PcmAudio(pcm, 16_000);
    }

    @Test
    void aLowAndAHighVoiceHaveTheirFundamental() {
        assertThat(Pitch.median(voice(110), 0.1, 0.6)).isCloseTo(110, within(3.0));
        assertThat(Pitch.median(voice(220), 0.1, 0.6)).isCloseTo(220, within(6.0));
    }

    @Test
    void silenceAndStretchesOutsideTheAudioHaveNone() {
        assertThat(Pitch.median(new PcmAudio(new byte[2 * 16_000], 16_000), 0, 1)).isNaN();
        assertThat(Pitch.median(voice(150), 2, 3)).isNaN();
    }
}
