package io.micromesh.core.routing.quality;

/**
 * A prompt with the outcome of two models on it: whether the weak (cheap) and the strong
 * (expensive) model answered it well.
 *
 * @param prompt the prompt's text
 * @param source where it came from (the outcome file's name), for baselines that know only that
 * @param weak   the weak model answered well
 * @param strong the strong model answered well
 */
public record LabelledPrompt(String prompt, String source, boolean weak, boolean strong) {
}
