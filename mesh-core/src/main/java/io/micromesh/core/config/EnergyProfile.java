package io.micromesh.core.config;

/**
 * Energy per token of a model on its hardware, and where the figures come from.
 *
 * @param inputJPerToken  joules per prompt token
 * @param outputJPerToken joules per completion token
 * @param source          who measured or published the figures, e.g. "measured by mesh bench 2026-11-26"
 */
public record EnergyProfile(Double inputJPerToken, Double outputJPerToken, String source) {

    public EnergyProfile {
        inputJPerToken = Checks.nonNegative("input-j-per-token", inputJPerToken);
        outputJPerToken = Checks.nonNegative("output-j-per-token", outputJPerToken);
        if (source == null || source.isBlank()) {
            throw new ConfigException("source", "is required: every energy figure names where it comes from"
                    + " (e.g. \"measured by mesh bench 2026-11-26\" or a paper)");
        }
    }
}
