package io.micromesh.core.config;

/**
 * What a model costs, in US dollars per million tokens.
 *
 * @param inputPerMtok  per million prompt tokens
 * @param outputPerMtok per million completion tokens
 */
public record Price(Double inputPerMtok, Double outputPerMtok) {

    public static final Price FREE = new Price(0.0, 0.0);

    public Price {
        inputPerMtok = Checks.nonNegative("input-per-mtok", inputPerMtok);
        outputPerMtok = Checks.nonNegative("output-per-mtok", outputPerMtok);
    }
}
