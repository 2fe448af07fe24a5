package io.micromesh.jobs;

import io.micromesh.core.spi.PcmAudio;
import io.micromesh.engines.audio.Pitch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Who speaks each word of a mono recording of two people, from the pitch of their voices: each
 * word's median fundamental frequency ({@link Pitch}), the words' log-frequencies split into a low
 * and a high voice by two-means, a word without voicing taking its neighbour's voice, and a median
 * over five words so that one odd word does not make a turn. The voice of the first word is the
 * first speaker (a call centre's agent answers first). When the two voices are less than
 * {@value #MIN_SEMITONES} semitones apart, or the smaller one has under {@value #MIN_SHARE} of the
 * voiced words, the voices cannot be told apart by pitch (two similar voices, or one speaker) and
 * there is no answer: the transcript then stays without speakers rather than guessing.
 *
 * <p>No speaker model is published on Maven Central; this is the documented substitute, measured in
 * docs/benchmarks.md. It suits voices of different pitch (a low and a high voice); two voices of
 * the same pitch are left unknown.
 */
final class VoiceTurns {

    /** The least distance between the two voices' centres, in semitones (12 per octave). */
    static final double MIN_SEMITONES = 3;
    /** The least share of voiced words the smaller voice must have. */
    static final double MIN_SHARE = 0.1;
    private static final int SMOOTHING = 5;

    private VoiceTurns() {
    }

    /**
     * The speaker (0: the first to speak, 1: the other) of each word, or empty when pitch cannot tell
     * the voices apart.
     */
    static Optional<int[]> speakers(List<Utterances.Word> words, PcmAudio audio) {
        int n = words.size();
        if (n < SMOOTHING) {
            return Optional.empty();
        }
        double[] pitch = new double[n];
        List<Double> voiced = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double hz = Pitch.median(audio, words.get(i).start(), words.get(i).end());
            pitch[i] = Double.isNaN(hz) ? Double.NaN : Math.log(hz) / Math.log(2);
            if (!Double.isNaN(hz)) {
                voiced.add(pitch[i]);
            }
        }
        if (voiced.size() < SMOOTHING) {
            return Optional.empty();
        }
        double[] centres = twoMeans(voiced.stream().mapToDouble(Double::doubleValue).toArray());
        double low = centres[0];
        double high = centres[1];
        long lowWords = voiced.stream().filter(p -> Math.abs(p - low) <= Math.abs(p - high)).count();
        double smaller = Math.min(lowWords, voiced.size() - lowWords) / (double) voiced.size();
        if (12 * (high - low) < MIN_SEMITONES || smaller < MIN_SHARE) {
            return Optional.empty();
        }
        int[] voice = new int[n];
        int last = -1;
        for (int i = 0; i < n; i++) {
            voice[i] = Double.isNaN(pitch[i]) ? last : Math.abs(pitch[i] - low) <= Math.abs(pitch[i] - high) ? 0 : 1;
            last = voice[i];
        }
        int firstKnown = Arrays.stream(voice).filter(v -> v >= 0).findFirst().orElse(0);
        for (int i = 0; i < n && voice[i] < 0; i++) {
            voice[i] = firstKnown;  // unvoiced words before any voiced one
        }
        int[] smoothed = new int[n];
        for (int i = 0; i < n; i++) {
            int from = Math.max(0, i - SMOOTHING / 2);
            int to = Math.min(n, i + SMOOTHING / 2 + 1);
            int high1 = 0;
            for (int j = from; j < to; j++) {
                high1 += voice[j];
            }
            smoothed[i] = 2 * high1 > to - from ? 1 : 2 * high1 < to - from ? 0 : voice[i];
        }
        int first = smoothed[0];
        for (int i = 0; i < n; i++) {
            smoothed[i] = smoothed[i] == first ? 0 : 1;
        }
        return Optional.of(smoothed);
    }

    /** The two centres of one-dimensional two-means, low first. */
    private static double[] twoMeans(double[] values) {
        double low = Arrays.stream(values).min().orElseThrow();
        double high = Arrays.stream(values).max().orElseThrow();
        for (int iteration = 0; iteration < 50; iteration++) {
            double sumLow = 0;
            double sumHigh = 0;
            int countLow = 0;
            int countHigh = 0;
            for (double v : values) {
                if (Math.abs(v - low) <= Math.abs(v - high)) {
                    sumLow += v;
                    countLow++;
                } else {
                    sumHigh += v;
                    countHigh++;
                }
            }
            double nextLow = countLow == 0 ? low : sumLow / countLow;
            double nextHigh = countHigh == 0 ? high : sumHigh / countHigh;
            if (nextLow == low && nextHigh == high) {
                break;
            }
            low = nextLow;
            high = nextHigh;
        }
        return new double[] {low, high};
    }
}
