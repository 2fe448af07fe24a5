package io.micromesh.engines.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.micromesh.core.spi.PcmAudio;
import io.micromesh.testkit.Wavs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AudioDecoderTest {

    private static byte[] wav(float rate, int channels, double seconds) {
        return Wavs.tone(rate, channels, seconds);
    }

    @Test
    void anyRateAndChannelCountBecomesMono16kHz() throws Exception {
        for (float rate : new float[] {8_000, 16_000, 44_100, 48_000}) {
            for (int channels : new int[] {1, 2}) {
                PcmAudio audio = AudioDecoder.decode(wav(rate, channels, 1.5), 16_000, 60);
                assertThat(audio.sampleRate()).isEqualTo(16_000f);
                assertThat(audio.seconds()).as(rate + " Hz, " + channels + " channels").isCloseTo(1.5, within(0.02));
                // the tone survives: its loudness stays near the 8,000 it was written at (RMS 5,657)
                ByteBuffer samples = ByteBuffer.wrap(audio.samples()).order(ByteOrder.LITTLE_ENDIAN);
                double sum = 0;
                int n = audio.samples().length / 2;
                for (int i = 0; i < n; i++) {
                    double s = samples.getShort();
                    sum += s * s;
                }
                assertThat(Math.sqrt(sum / n)).as(rate + " Hz, " + channels + " channels").isCloseTo(5657, within(400.0));
            }
        }
    }

    @Test
    void aStereoFileAtTheEnginesRateIsSplitIntoItsChannelsByJavaSound() {
        java.util.List<io.micromesh.core.spi.PcmAudio> channels = AudioDecoder.channels(
                io.micromesh.testkit.Wavs.tone(16_000, 2, 1), 16_000, 60);
        assertThat(channels).hasSize(2).allSatisfy(channel -> {
            assertThat(channel.sampleRate()).isEqualTo(16_000f);
            assertThat(channel.seconds()).isCloseTo(1.0, within(0.01));
        });
    }

    @Test
    void badAudioIsRefusedWithTheReason() throws Exception {
        assertThatThrownBy(() -> AudioDecoder.decode(new byte[0], 16_000, 60)).hasMessageContaining("empty");
        assertThatThrownBy(() -> AudioDecoder.decode("ID3 this is an mp3, honestly".getBytes(), 16_000, 60))
                .hasMessageContaining("not audio in a supported format").hasMessageContaining("WAV");
        byte[] whole = wav(16_000, 1, 2);
        assertThatThrownBy(() -> AudioDecoder.decode(Arrays.copyOf(whole, whole.length / 2), 16_000, 60))
                .hasMessageContaining("cut short");
        assertThatThrownBy(() -> AudioDecoder.decode(wav(8_000, 1, 5), 16_000, 3))
                .hasMessageContaining("lasts 5 s; at most 3 s");
    }

    /** A 16-bit mono PCM WAV whose header claims {@code rate} Hz and {@code declaredBytes} of data, holding {@code actual} bytes. */
    private static byte[] header(int rate, int declaredBytes, int actual) {
        ByteBuffer b = ByteBuffer.allocate(44 + actual).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + declaredBytes).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1).putInt(rate).putInt(rate * 2)
                .putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes()).putInt(declaredBytes);
        for (int i = 0; i < actual / 2; i++) {
            b.putShort((short) (i % 2 == 0 ? 3000 : -3000));
        }
        return b.array();
    }

    /** Issue 16: a few kilobytes claiming a rate of 0 or 1 Hz, or an hour, grew the gateway by gigabytes. */
    @Test
    void aHeaderCannotMakeASmallFileCostMoreThanItHolds() {
        assertThatThrownBy(() -> AudioDecoder.decode(header(0, 3_000, 3_000), 16_000, 7_200))
                .hasMessageContaining("sample rate").hasMessageContaining("4,000 to 384,000 Hz");
        assertThatThrownBy(() -> AudioDecoder.decode(header(1, 2_400, 2_400), 16_000, 7_200))
                .hasMessageContaining("sample rate of 1.0 Hz is not supported");
        assertThatThrownBy(() -> AudioDecoder.channels(header(2, 2_400, 2_400), 16_000, 7_200))
                .hasMessageContaining("sample rate");
        // claims an hour at 8 kHz, holds 3 KB: refused as cut short after decoding only what it holds
        assertThatThrownBy(() -> AudioDecoder.decode(header(8_000, 8_000 * 2 * 3600, 3_000), 16_000, 7_200))
                .hasMessageContaining("cut short");
        assertThatThrownBy(() -> AudioDecoder.decode(header(16_000, 0, 0), 16_000, 60)).hasMessageContaining("no sound");
    }
}
