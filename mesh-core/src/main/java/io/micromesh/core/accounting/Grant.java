package io.micromesh.core.accounting;

import java.util.Set;

/**
 * What an API key may use: the models and routes it may name, its budget of cost and energy per
 * period, and its rate limits. Every field is optional (null or empty: no limit).
 *
 * @param models      the models and routes it may name; empty: all
 * @param budgetUsd   US dollars it may spend per period, or null
 * @param budgetWh    watt-hours it may spend per period, or null
 * @param period      the budget's period
 * @param rpm         requests per minute, or null
 * @param tpm         tokens (prompt and completion) per minute, or null
 * @param concurrency requests at once, or null
 */
public record Grant(Set<String> models, Double budgetUsd, Double budgetWh, Period period, Long rpm, Long tpm,
                    Long concurrency) {

    /** Everything, without limits: the master key, the static api-key, a gateway without keys. */
    public static final Grant UNLIMITED = new Grant(Set.of(), null, null, Period.DAY, null, null, null);

    public Grant {
        models = models == null ? Set.of() : Set.copyOf(models);
        period = period == null ? Period.DAY : period;
    }

    /** Whether the key may name {@code model} (a model id or a route name). */
    public boolean allows(String model) {
        return models.isEmpty() || models.contains(model);
    }

    /** Whether it has a budget of cost or energy. */
    public boolean budgeted() {
        return budgetUsd != null || budgetWh != null;
    }

    /** Whether it has a rate or concurrency limit. */
    public boolean rateLimited() {
        return rpm != null || tpm != null || concurrency != null;
    }
}
