package io.micromesh.core.spi;

/**
 * Decoded audio: 16-bit signed little-endian PCM, mono.
 *
 * @param samples    two bytes per sample
 * @param sampleRate samples per second
 */
public record PcmAudio(byte[] samples, float sampleRate) {

    /** How long the audio lasts, in seconds. */
    public double seconds() {
        return samples.length / 2.0 / sampleRate;
    }
}
