package io.micromesh.core.config;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How a {@code cascade} (or verifying {@code cost-quality}) route checks an answer before the client
 * sees it. Checks run cheapest first and the first that fails escalates to the next candidate.
 *
 * @param jsonSchema      when the request asked for JSON ({@code response_format}), the answer must
 *                        parse and, for {@code json_schema}, validate against the schema (default on)
 * @param nonEmpty        the answer must have visible text (default on)
 * @param refusals        regular expressions (case-insensitive, searched in the answer's first 300
 *                        characters) that mark a refusal; default: common English refusals; an empty
 *                        list turns the check off
 * @param selfConsistency a second sample from the same model must agree with the first
 * @param judge           a judge model scores the answer
 * @param minMeanLogprob  the mean token log-probability must reach this; only for {@code openai}
 *                        backends that return log-probabilities (llama.cpp engines cannot)
 */
public record VerifySpec(Boolean jsonSchema, Boolean nonEmpty, List<String> refusals, ConsistencySpec selfConsistency,
                         JudgeSpec judge, Double minMeanLogprob) {

    /** Phrases that open an assistant's refusal, in English. */
    public static final List<String> DEFAULT_REFUSALS = List.of(
            "\\bI(?:'m| am) sorry,? but\\b", "\\bI (?:can(?:no|')t|am unable to|won't|am not able to) (?:help|assist|provide|do|answer|comply)",
            "\\bI(?:'m| am) (?:unable|not able) to (?:help|assist|provide|answer|comply)", "\\bAs an AI\\b");

    public VerifySpec {
        jsonSchema = jsonSchema == null || jsonSchema;
        nonEmpty = nonEmpty == null || nonEmpty;
        refusals = refusals == null ? DEFAULT_REFUSALS : List.copyOf(refusals);
        for (int i = 0; i < refusals.size(); i++) {
            try {
                Pattern.compile(refusals.get(i));
            } catch (PatternSyntaxException e) {
                throw new ConfigException("refusals[" + i + "]", "is not a regular expression: " + e.getDescription());
            }
        }
    }

    /** The default checks: JSON when asked for, non-empty, not a refusal. */
    public static VerifySpec defaults() {
        return new VerifySpec(null, null, null, null, null, null);
    }

    /**
     * Self-consistency: the same model is asked again and both answers must agree.
     *
     * @param temperature the second sample's temperature (default 0.7), so that an unsure model drifts
     * @param agreement   the least word-set overlap (Jaccard, 0 to 1) of the two answers, after
     *                    lower-casing and dropping punctuation; JSON answers must be equal as JSON
     *                    (default 0.6)
     */
    public record ConsistencySpec(Double temperature, Double agreement) {
        public ConsistencySpec {
            temperature = temperature == null ? 0.7 : temperature;
            if (!(temperature >= 0 && temperature <= 2)) {
                throw new ConfigException("temperature", temperature + " is not allowed; from 0 to 2");
            }
            agreement = agreement == null ? 0.6 : agreement;
            if (!(agreement >= 0 && agreement <= 1)) {
                throw new ConfigException("agreement", agreement + " is not allowed; from 0 to 1");
            }
        }
    }

    /**
     * A judge model that scores the answer from 0 to 10.
     *
     * @param model     a model of the portfolio
     * @param prompt    the judge's instructions, with {@code {question}} and {@code {answer}} in it;
     *                  default: a request for one score from 0 to 10
     * @param threshold the least score, as a fraction of 10 (default 0.7)
     */
    public record JudgeSpec(String model, String prompt, Double threshold) {

        /** The judge's instructions unless the route gives its own. */
        public static final String DEFAULT_PROMPT = """
                You grade answers. Question:
                {question}

                Answer:
                {answer}

                How correct, complete and helpful is the answer? Reply with one integer from 0 (wrong or \
                useless) to 10 (fully correct), and nothing else.""";

        public JudgeSpec {
            if (model == null || model.isBlank()) {
                throw new ConfigException("model", "is required: the portfolio model that judges");
            }
            prompt = prompt == null ? DEFAULT_PROMPT : prompt;
            if (!prompt.contains("{answer}")) {
                throw new ConfigException("prompt", "must contain {answer} (and usually {question})");
            }
            threshold = threshold == null ? 0.7 : threshold;
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new ConfigException("threshold", threshold + " is not allowed; a fraction of the top score, 0 to 1");
            }
        }
    }
}
