package io.micromesh.testkit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

/** WAV files made by tests: tones of any rate, channel count and length. */
public final class Wavs {

    private Wavs() {
    }

    /** A 16-bit WAV of a 440 Hz tone at amplitude 8,000 (RMS 5,657), the same on every channel. */
    public static byte[] tone(float rate, int channels, double seconds) {
        int frames = (int) (rate * seconds);
        ByteBuffer pcm = ByteBuffer.allocate(frames * channels * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < frames; i++) {
            short value = (short) (8000 * Math.sin(2 * Math.PI * 440 * i / rate));
            for (int c = 0; c < channels; c++) {
                pcm.putShort(value);
            }
        }
        AudioFormat format = new AudioFormat(rate, 16, channels, true, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            AudioSystem.write(new AudioInputStream(new ByteArrayInputStream(pcm.array()), format, frames),
                    AudioFileFormat.Type.WAVE, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
