package io.micromesh.core.config;

/**
 * How a model's or a route's answers are cached ({@code cache:} on a model or a route).
 *
 * @param mode          {@code exact}: the same normalized request (and caller) gets the stored answer;
 *                      {@code semantic}: also a request whose last user message means nearly the same
 *                      and whose rest is identical
 * @param ttlS          seconds an answer is kept (default 3600)
 * @param threshold     {@code semantic}: the least cosine similarity of the last user messages for a hit
 *                      (0 to 1, default 0.95)
 * @param shared        whether callers share answers (default false: a key sees only its own)
 * @param anyRequest    whether requests that sample (temperature above 0 and no {@code seed}) are cached
 *                      too (default false: only deterministic ones, whose answer is meant to repeat)
 * @param hitPriceUsd   what a hit costs its caller, in dollars (default 0)
 * @param encoder       {@code semantic}: the {@code onnx} model that embeds the last user message (default: the
 *                      portfolio's only one)
 * @param store         whether answers are also kept in the gateway's store, so that gateways sharing it
 *                      share hits (default false: this process's memory only)
 */
public record CacheSpec(String mode, Integer ttlS, Double threshold, Boolean shared, Boolean anyRequest,
                        Double hitPriceUsd, String encoder, Boolean store) {

    public CacheSpec {
        mode = mode == null ? "exact" : mode;
        if (!mode.equals("exact") && !mode.equals("semantic")) {
            throw new ConfigException("mode", "'" + mode + "' is not allowed; allowed: exact, semantic");
        }
        ttlS = Checks.between("ttl-s", ttlS, 1, 30 * 24 * 3600, 3600);
        if (mode.equals("exact") && threshold != null) {
            throw new ConfigException("threshold", "is for mode semantic; an exact cache has no threshold");
        }
        threshold = threshold == null ? 0.95 : threshold;
        if (!(threshold > 0 && threshold <= 1)) {
            throw new ConfigException("threshold", threshold + " is not allowed; a cosine similarity above 0, at most 1");
        }
        shared = shared != null && shared;
        store = store != null && store;
        anyRequest = anyRequest != null && anyRequest;
        hitPriceUsd = hitPriceUsd == null ? 0.0 : hitPriceUsd;
        if (encoder != null && !mode.equals("semantic")) {
            throw new ConfigException("encoder", "is for mode semantic; an exact cache embeds nothing");
        }
        if (!(hitPriceUsd >= 0)) {
            throw new ConfigException("hit-price-usd", hitPriceUsd + " is not allowed; dollars, at least 0");
        }
    }

    /** Whether near-identical last user messages hit too. */
    public boolean semantic() {
        return mode.equals("semantic");
    }

    /** The same settings with the encoder resolved. */
    public CacheSpec withEncoder(String encoderId) {
        return new CacheSpec(mode, ttlS, semantic() ? threshold : null, shared, anyRequest, hitPriceUsd, encoderId, store);
    }
}
