package io.micromesh.core.spi;

/**
 * Tokens of one request as the backend counted them.
 *
 * @param prompt     prompt (input) tokens
 * @param completion completion (output) tokens
 */
public record TokenCounts(long prompt, long completion) {

    public static final TokenCounts NONE = new TokenCounts(0, 0);

    public TokenCounts {
        if (prompt < 0 || completion < 0) {
            throw new IllegalArgumentException("token counts are not negative: " + prompt + ", " + completion);
        }
    }

    /** Prompt plus completion. */
    public long total() {
        return prompt + completion;
    }
}
