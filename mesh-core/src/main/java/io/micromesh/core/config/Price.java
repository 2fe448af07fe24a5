package io.micromesh.core.config;

/**
 * What a model costs, in US dollars: per million tokens for text, per minute of audio for speech.
 *
 * @param inputPerMtok   per million prompt tokens
 * @param outputPerMtok  per million completion tokens
 * @param perAudioMinute per minute of audio transcribed
 */
public record Price(Double inputPerMtok, Double outputPerMtok, Double perAudioMinute) {

    public static final Price FREE = new Price(0.0, 0.0, 0.0);

    public Price {
        inputPerMtok = Checks.nonNegative("input-per-mtok", inputPerMtok);
        outputPerMtok = Checks.nonNegative("output-per-mtok", outputPerMtok);
        perAudioMinute = Checks.nonNegative("per-audio-minute", perAudioMinute);
    }
}
