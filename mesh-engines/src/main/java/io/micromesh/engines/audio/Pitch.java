package io.micromesh.engines.audio;

import io.micromesh.core.spi.PcmAudio;
import java.util.Arrays;

/**
 * The fundamental frequency of a voice over a stretch of audio, by the YIN method (de Cheveigné
 * and Kawahara, 2002): in each 40 ms frame the cumulative-mean-normalised difference function,
 * the first lag under 0.15 taken as the period, within 60-400 Hz (speaking voices); the median over
 * the stretch's voiced frames. Written here because no maintained pitch tracker is published on
 * Maven Central, and the method is forty lines.
 */
public final class Pitch {

    private static final double FRAME_SECONDS = 0.040;
    private static final double HOP_SECONDS = 0.020;
    private static final double MIN_HZ = 60;
    private static final double MAX_HZ = 400;
    private static final double THRESHOLD = 0.15;
    /** Frames quieter than this (RMS, 16-bit) are silence or breath, not voice. */
    private static final double MIN_RMS = 200;

    private Pitch() {
    }

    /**
     * The median fundamental frequency in Hz of the voiced frames between two times.
     *
     * @return NaN when no frame there is voiced
     */
    public static double median(PcmAudio audio, double startSeconds, double endSeconds) {
        float rate = audio.sampleRate();
        int frame = (int) Math.round(FRAME_SECONDS * rate);
        int hop = (int) Math.round(HOP_SECONDS * rate);
        int maxLag = (int) Math.ceil(rate / MIN_HZ);
        int minLag = (int) Math.floor(rate / MAX_HZ);
        int total = audio.samples().length / 2;
        int from = Math.max(0, (int) (startSeconds * rate));
        int to = Math.min(total, (int) (endSeconds * rate));
        double[] found = new double[Math.max(0, (to - from) / hop + 1)];
        int voiced = 0;
        double[] difference = new double[maxLag + 1];
        for (int at = from; at + frame <= to && at + frame + maxLag <= total; at += hop) {
            if (rms(audio.samples(), at, frame) < MIN_RMS) {
                continue;
            }
            int lag = period(audio.samples(), at, frame, minLag, maxLag, difference);
            if (lag > 0) {
                found[voiced++] = rate / lag;
            }
        }
        if (voiced == 0) {
            return Double.NaN;
        }
        double[] hz = Arrays.copyOf(found, voiced);
        Arrays.sort(hz);
        return hz[voiced / 2];
    }

    /** The period in samples of the frame at {@code at}, or 0 when it has none (unvoiced). */
    private static int period(byte[] pcm, int at, int frame, int minLag, int maxLag, double[] difference) {
        for (int lag = 1; lag <= maxLag; lag++) {
            double sum = 0;
            for (int j = 0; j < frame; j++) {
                double delta = sample(pcm, at + j) - sample(pcm, at + j + lag);
                sum += delta * delta;
            }
            difference[lag] = sum;
        }
        double running = 0;
        for (int lag = 1; lag <= maxLag; lag++) {
            running += difference[lag];
            double normalised = running == 0 ? 1 : difference[lag] * lag / running;
            if (lag >= minLag && normalised < THRESHOLD) {
                // walk down to the dip's bottom
                while (lag + 1 <= maxLag && difference[lag + 1] < difference[lag]) {
                    lag++;
                }
                return lag;
            }
        }
        return 0;
    }

    private static double rms(byte[] pcm, int at, int frame) {
        double sum = 0;
        for (int j = 0; j < frame; j++) {
            double s = sample(pcm, at + j);
            sum += s * s;
        }
        return Math.sqrt(sum / frame);
    }

    private static double sample(byte[] pcm, int index) {
        return (short) ((pcm[2 * index] & 0xff) | (pcm[2 * index + 1] << 8));
    }
}
