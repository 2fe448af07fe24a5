package io.micromesh.core.accounting;

import io.micromesh.core.dispatch.Caller;

/**
 * Where budgets and rate limits are kept: before a request is dispatched its largest possible cost,
 * energy and tokens are reserved against its key's and its workflow's budgets and limits, in one
 * atomic step; once it is over, the reservation is settled to what it really used. Implemented by
 * the store (shared by gateway instances); {@link #NONE} keeps nothing. Thread-safe.
 */
public interface Spending {

    /**
     * Reserves {@code worst} for {@code caller}.
     *
     * @return the reservation, to settle exactly once when the request is over
     * @throws io.micromesh.core.MeshException {@code BUDGET_EXCEEDED} or {@code RATE_LIMITED} naming the
     *         budget or limit, or {@code STORE_UNAVAILABLE} when the store cannot be reached and the caller
     *         has budgets or limits (they fail closed)
     */
    Hold reserve(Caller caller, Estimate worst);

    /**
     * The most a request can use.
     *
     * @param costUsd  its largest possible cost
     * @param energyWh its largest possible energy
     * @param tokens   its largest possible prompt and completion tokens
     */
    record Estimate(double costUsd, double energyWh, long tokens) {
    }

    /** A reservation held while its request runs. */
    interface Hold {

        /** Replaces the reservation with what the request used; the first call counts, later ones do nothing. */
        void settle(double costUsd, double energyWh, long tokens);

        /** A reservation of nothing. */
        Hold NONE = (costUsd, energyWh, tokens) -> {
        };
    }

    /** Keeps no budgets: every reservation succeeds. */
    Spending NONE = (caller, worst) -> Hold.NONE;
}
