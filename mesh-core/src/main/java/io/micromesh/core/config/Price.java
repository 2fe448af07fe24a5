package io.micromesh.core.config;

/**
 * What a model costs, in US dollars: per million tokens for text, per minute of audio for speech.
 *
 * @param inputPerMtok   per million prompt tokens
 * @param outputPerMtok  per million completion tokens
 * @param perAudioMinute per minute of audio transcribed
 * @param cachedInputPerMtok per million prompt tokens the upstream served from its prompt cache
 *                       ({@code prompt_tokens_details.cached_tokens}); {@code inputPerMtok} when absent
 */
public record Price(Double inputPerMtok, Double outputPerMtok, Double perAudioMinute, Double cachedInputPerMtok) {

    public static final Price FREE = new Price(0.0, 0.0, 0.0, 0.0);

    public Price {
        inputPerMtok = Checks.nonNegative("input-per-mtok", inputPerMtok);
        outputPerMtok = Checks.nonNegative("output-per-mtok", outputPerMtok);
        perAudioMinute = Checks.nonNegative("per-audio-minute", perAudioMinute);
        cachedInputPerMtok = cachedInputPerMtok == null ? inputPerMtok
                : Checks.nonNegative("cached-input-per-mtok", cachedInputPerMtok);
    }

    /** Per-token prices without a price for cached prompt tokens (they cost as any prompt token). */
    public Price(Double inputPerMtok, Double outputPerMtok, Double perAudioMinute) {
        this(inputPerMtok, outputPerMtok, perAudioMinute, null);
    }
}
