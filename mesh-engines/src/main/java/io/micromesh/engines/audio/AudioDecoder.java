package io.micromesh.engines.audio;

import io.micromesh.core.spi.PcmAudio;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/**
 * Turns an uploaded audio file into what speech engines take: 16-bit signed little-endian PCM, mono,
 * at a given sample rate. A WAV, AIFF or AU file already at that rate is read with the JDK's own
 * audio classes (Java Sound); everything else — other rates, MP3, OGG/Opus, FLAC, M4A/AAC, WebM,
 * μ-law and A-law — goes through {@link FfmpegDecoder} when Debian's ffmpeg is installed, whose
 * resampler filters what the new rate cannot hold (Java Sound's interpolates linearly, and is the
 * fallback without ffmpeg). Formats neither reads are refused, never passed to native code. The work is bounded by what the file really
 * holds, before any decoding: a header may claim any length and any rate (a 3 KB file claiming an
 * hour at 1 Hz once cost minutes of CPU and gigabytes of memory), but the samples it can hold are at
 * most its bytes over its frame size, and rates outside {@value #MIN_RATE} to {@value #MAX_RATE} Hz
 * are refused.
 */
public final class AudioDecoder {

    /** The lowest sample rate read: below it, resampling multiplies a small file into a large one. */
    public static final int MIN_RATE = 4_000;
    /** The highest sample rate read. */
    public static final int MAX_RATE = 384_000;

    /** The formats Java Sound reads without plug-ins. */
    public static final String SUPPORTED = "WAV (PCM, any rate, mono or stereo), AIFF, AU";
    /** The formats read with ffmpeg installed. */
    public static final String SUPPORTED_WITH_FFMPEG = "WAV (PCM, μ-law, A-law), AIFF, AU, MP3, OGG/Opus, FLAC, M4A/AAC, WebM";

    /** Why an upload cannot be decoded: a client error. */
    public static final class AudioException extends RuntimeException {
        public AudioException(String message) {
            super(message);
        }
    }

    private AudioDecoder() {
    }

    /**
     * Decodes a whole file.
     *
     * @param sampleRate the rate the engine wants, for example 16,000
     * @param maxSeconds the longest audio accepted
     * @throws AudioException when the bytes are not audio of a supported format, are cut short, or are too long
     */
    public static PcmAudio decode(byte[] file, float sampleRate, double maxSeconds) {
        return decode(file, sampleRate, maxSeconds, FfmpegDecoder.find());
    }

    /**
     * Decodes a whole file with the given ffmpeg, or with Java Sound alone when there is none (to
     * compare the two resamplers: bench/TelephonyWer.java).
     */
    public static PcmAudio decode(byte[] file, float sampleRate, double maxSeconds, Optional<Path> ffmpeg) {
        if (file.length == 0) {
            throw new AudioException("the audio file is empty");
        }
        AudioInputStream source;
        try {
            source = AudioSystem.getAudioInputStream(new BufferedInputStream(new ByteArrayInputStream(file)));
        } catch (UnsupportedAudioFileException e) {
            if (ffmpeg.isPresent()) {
                return new PcmAudio(FfmpegDecoder.decode(ffmpeg.get(), file, Math.round(sampleRate), 1, maxSeconds).samples(),
                        sampleRate);
            }
            throw new AudioException("the file is not audio in a supported format; supported: " + SUPPORTED
                    + " (and with Debian's ffmpeg installed: " + SUPPORTED_WITH_FFMPEG + ")");
        } catch (IOException e) {
            throw new AudioException("the audio file cannot be read: " + e.getMessage());
        }
        if (ffmpeg.isPresent() && (source.getFormat().getSampleRate() != sampleRate
                || source.getFormat().getEncoding() != AudioFormat.Encoding.PCM_SIGNED)) {
            bounded(source.getFormat(), source.getFrameLength(), file.length, maxSeconds);
            byte[] samples = FfmpegDecoder.decode(ffmpeg.get(), file, Math.round(sampleRate), 1, maxSeconds).samples();
            long frames = source.getFrameLength();
            long expected = frames > 0 ? Math.round(frames * (double) sampleRate / source.getFormat().getFrameRate()) * 2 : -1;
            if (expected > 0 && samples.length < expected * 0.98) {
                throw new AudioException("the audio file is cut short: it announces " + frames + " frames and holds fewer");
            }
            return new PcmAudio(samples, sampleRate);
        }
        AudioFormat in = source.getFormat();
        long frames = source.getFrameLength();
        bounded(in, frames, file.length, maxSeconds);
        AudioFormat pcm = new AudioFormat(AudioFormat.Encoding.PCM_SIGNED, in.getSampleRate(), 16, in.getChannels(),
                in.getChannels() * 2, in.getSampleRate(), false);
        AudioFormat target = new AudioFormat(sampleRate, 16, 1, true, false);
        try (AudioInputStream signed = convert(pcm, source); AudioInputStream converted = convert(target, signed)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            converted.transferTo(out);
            byte[] samples = out.toByteArray();
            if (samples.length == 0) {
                throw new AudioException("the audio file holds no sound (no samples)");
            }
            long expected = frames > 0 ? Math.round(frames * (double) sampleRate / in.getFrameRate()) * 2 : -1;
            if (expected > 0 && samples.length < expected * 0.98) {
                throw new AudioException("the audio file is cut short: it announces " + frames + " frames and holds fewer");
            }
            if (samples.length / 2.0 / sampleRate > maxSeconds) {
                throw new AudioException(String.format(java.util.Locale.ROOT, "the audio lasts more than %.0f s", maxSeconds));
            }
            return new PcmAudio(samples, sampleRate);
        } catch (IOException e) {
            throw new AudioException("the audio file cannot be read: " + e.getMessage());
        }
    }

    /**
     * Decodes each channel of a file on its own (a call recorded in stereo holds one speaker per
     * channel); a mono file gives one.
     *
     * @throws AudioException as {@link #decode}
     */
    public static java.util.List<PcmAudio> channels(byte[] file, float sampleRate, double maxSeconds) {
        if (file.length == 0) {
            throw new AudioException("the audio file is empty");
        }
        Optional<Path> ffmpeg = FfmpegDecoder.find();
        AudioFormat in;
        try (AudioInputStream probe = AudioSystem.getAudioInputStream(new BufferedInputStream(new ByteArrayInputStream(file)))) {
            in = probe.getFormat();
        } catch (UnsupportedAudioFileException e) {
            if (ffmpeg.isPresent()) {
                return split(FfmpegDecoder.decode(ffmpeg.get(), file, Math.round(sampleRate), 0, maxSeconds), sampleRate);
            }
            throw new AudioException("the file is not audio in a supported format; supported: " + SUPPORTED
                    + " (and with Debian's ffmpeg installed: " + SUPPORTED_WITH_FFMPEG + ")");
        } catch (IOException e) {
            throw new AudioException("the audio file cannot be read: " + e.getMessage());
        }
        if (ffmpeg.isPresent() && (in.getSampleRate() != sampleRate || in.getEncoding() != AudioFormat.Encoding.PCM_SIGNED)) {
            bounded(in, -1, file.length, maxSeconds);
            return split(FfmpegDecoder.decode(ffmpeg.get(), file, Math.round(sampleRate), 0, maxSeconds), sampleRate);
        }
        if (in.getChannels() <= 1) {
            return java.util.List.of(decode(file, sampleRate, maxSeconds));
        }
        bounded(in, -1, file.length, maxSeconds);
        // the whole file at its own rate, interleaved, then each channel resampled alone
        PcmAudio interleaved = decodeInterleaved(file, in, maxSeconds);
        return split(interleaved.samples(), in.getChannels(), in.getSampleRate()).stream()
                .map(channel -> decode(wav(channel), sampleRate, maxSeconds)).toList();
    }

    private static java.util.List<PcmAudio> split(FfmpegDecoder.Decoded decoded, float sampleRate) {
        return split(decoded.samples(), decoded.channels(), sampleRate);
    }

    /** Each channel of interleaved 16-bit samples on its own. */
    private static java.util.List<PcmAudio> split(byte[] all, int channels, float sampleRate) {
        int frames = all.length / (2 * channels);
        java.util.List<PcmAudio> out = new java.util.ArrayList<>(channels);
        for (int c = 0; c < channels; c++) {
            byte[] mono = new byte[frames * 2];
            for (int f = 0; f < frames; f++) {
                mono[2 * f] = all[(f * channels + c) * 2];
                mono[2 * f + 1] = all[(f * channels + c) * 2 + 1];
            }
            out.add(new PcmAudio(mono, sampleRate));
        }
        return java.util.List.copyOf(out);
    }

    /**
     * Refuses, before decoding, a rate outside the supported range and audio longer than accepted:
     * as long as the header says, or as long as the file's bytes could hold, whichever is less.
     */
    private static void bounded(AudioFormat in, long declaredFrames, long fileBytes, double maxSeconds) {
        float rate = in.getSampleRate();
        if (!(rate >= MIN_RATE && rate <= MAX_RATE)) {
            throw new AudioException(String.format(java.util.Locale.ROOT, "the audio's sample rate of %s Hz is not supported;"
                    + " %,d to %,d Hz are", rate == AudioSystem.NOT_SPECIFIED ? "(unspecified)" : String.valueOf(rate), MIN_RATE,
                    MAX_RATE));
        }
        if (in.getChannels() < 1 || in.getChannels() > 8) {
            throw new AudioException("the audio has " + in.getChannels() + " channels; 1 to 8 are supported");
        }
        long frameBytes = Math.max(1, in.getFrameSize());
        long frames = fileBytes / frameBytes;
        if (declaredFrames > 0) {
            frames = Math.min(frames, declaredFrames);
        }
        if (frames / (double) rate > maxSeconds) {
            throw new AudioException(String.format(java.util.Locale.ROOT, "the audio lasts %.0f s; at most %.0f s are accepted",
                    frames / (double) rate, maxSeconds));
        }
    }

    /** 16-bit interleaved PCM of all channels at the file's own rate (its samples hold every channel). */
    private static PcmAudio decodeInterleaved(byte[] file, AudioFormat in, double maxSeconds) {
        try (AudioInputStream source = AudioSystem.getAudioInputStream(new BufferedInputStream(new ByteArrayInputStream(file)))) {
            AudioFormat pcm = new AudioFormat(AudioFormat.Encoding.PCM_SIGNED, in.getSampleRate(), 16, in.getChannels(),
                    in.getChannels() * 2, in.getSampleRate(), false);
            try (AudioInputStream signed = convert(pcm, source)) {
                byte[] samples = signed.readAllBytes();
                long frames = source.getFrameLength();
                if (frames > 0 && samples.length < frames * 2L * in.getChannels() * 0.98) {
                    throw new AudioException("the audio file is cut short: it announces " + frames + " frames and holds fewer");
                }
                if (samples.length / 2.0 / in.getChannels() / in.getSampleRate() > maxSeconds) {
                    throw new AudioException(String.format(java.util.Locale.ROOT, "the audio lasts more than %.0f s", maxSeconds));
                }
                return new PcmAudio(samples, in.getSampleRate());
            }
        } catch (UnsupportedAudioFileException | IOException e) {
            throw new AudioException("the audio file cannot be read: " + e.getMessage());
        }
    }

    /** Decoded audio as a WAV file (16-bit PCM, mono), to send on to a server. */
    public static byte[] wav(PcmAudio audio) {
        AudioFormat format = new AudioFormat(audio.sampleRate(), 16, 1, true, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream(audio.samples().length + 64);
        try (AudioInputStream stream = new AudioInputStream(new ByteArrayInputStream(audio.samples()), format,
                audio.samples().length / 2)) {
            AudioSystem.write(stream, javax.sound.sampled.AudioFileFormat.Type.WAVE, out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write WAV in memory", e);
        }
        return out.toByteArray();
    }

    private static AudioInputStream convert(AudioFormat target, AudioInputStream source) {
        if (source.getFormat().matches(target)) {
            return source;
        }
        try {
            return AudioSystem.getAudioInputStream(target, source);
        } catch (IllegalArgumentException e) {
            throw new AudioException("cannot convert " + source.getFormat() + " to " + target + "; supported: " + SUPPORTED);
        }
    }
}
