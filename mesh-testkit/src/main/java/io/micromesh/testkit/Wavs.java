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

/** WAV files made by tests: tones of any rate, channel count and length; speech by espeak-ng; two-voice calls. */
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

    /** Whether Debian's espeak-ng is installed ({@code .ci/run} installs it), for {@link #speech}. */
    public static boolean canSpeak() {
        return new java.io.File("/usr/bin/espeak-ng").canExecute();
    }

    /** A mono WAV (22,050 Hz) of espeak-ng saying {@code text} at 140 words a minute. */
    public static byte[] speech(String text) {
        return speech(text, "en");
    }

    /** The same in one of espeak-ng's voices: {@code en-us+m3} (a low voice), {@code en-us+f2} (a high one). */
    public static byte[] speech(String text, String voice) {
        try {
            java.nio.file.Path wav = java.nio.file.Files.createTempFile("speech", ".wav");
            try {
                Process espeak = new ProcessBuilder("espeak-ng", "-v", voice, "-s", "140", "-w", wav.toString(), text)
                        .redirectErrorStream(true).start();
                espeak.getInputStream().readAllBytes();
                if (espeak.waitFor() != 0) {
                    throw new IllegalStateException("espeak-ng failed on: " + text);
                }
                return java.nio.file.Files.readAllBytes(wav);
            } finally {
                java.nio.file.Files.deleteIfExists(wav);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * A stereo call as call centers record them: {@code left} (mono, 16-bit) on the left channel
     * from the start, then half a second later {@code right} on the right channel, each channel
     * silent while the other speaks. Both must have the same rate.
     */
    public static byte[] twoVoices(byte[] left, byte[] right) {
        try (AudioInputStream a = AudioSystem.getAudioInputStream(new ByteArrayInputStream(left));
             AudioInputStream b = AudioSystem.getAudioInputStream(new ByteArrayInputStream(right))) {
            float rate = a.getFormat().getSampleRate();
            byte[] first = a.readAllBytes();
            byte[] second = b.readAllBytes();
            int gap = (int) (rate / 2);
            int firstFrames = first.length / 2;
            int frames = firstFrames + gap + second.length / 2;
            byte[] stereo = new byte[frames * 4];
            for (int f = 0; f < firstFrames; f++) {
                stereo[4 * f] = first[2 * f];
                stereo[4 * f + 1] = first[2 * f + 1];
            }
            for (int f = 0; f < second.length / 2; f++) {
                int at = firstFrames + gap + f;
                stereo[4 * at + 2] = second[2 * f];
                stereo[4 * at + 3] = second[2 * f + 1];
            }
            AudioFormat format = new AudioFormat(rate, 16, 2, true, false);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            AudioSystem.write(new AudioInputStream(new ByteArrayInputStream(stereo), format, frames), AudioFileFormat.Type.WAVE, out);
            return out.toByteArray();
        } catch (IOException | javax.sound.sampled.UnsupportedAudioFileException e) {
            throw new IllegalStateException("not a 16-bit WAV: " + e.getMessage(), e);
        }
    }
}
