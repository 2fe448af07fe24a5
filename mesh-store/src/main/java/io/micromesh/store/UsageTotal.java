package io.micromesh.store;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What a group of requests used together, from the ledger.
 *
 * @param group            the group's value (a model id, route, key id or workflow id; empty when the
 *                         requests had none, such as requests that named a model when grouped by route)
 * @param requests         how many requests
 * @param promptTokens     their prompt tokens
 * @param completionTokens their completion tokens
 * @param costUsd          their cost, every attempt included
 * @param energyWh         their energy, every attempt included
 * @param cacheHits        how many were answered from the response cache
 * @param savedCostUsd     what those answers had cost when first computed: what the cache saved
 * @param savedEnergyWh    their energy when first computed
 */
public record UsageTotal(String group, long requests, long promptTokens, long completionTokens, double costUsd,
                         double energyWh, long cacheHits, double savedCostUsd, double savedEnergyWh) {

    /** What the ledger's totals are grouped by ({@code group_by}). */
    public enum GroupBy {
        MODEL("model"),
        ROUTE("route"),
        KEY("key_id"),
        WORKFLOW("workflow_id");

        private final String column;

        GroupBy(String column) {
            this.column = column;
        }

        String column() {
            return column;
        }

        /** The name used in the API and the CLI ({@code model}, {@code route}, {@code key}, {@code workflow}). */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The grouping named {@code key}, if it is one. */
        public static Optional<GroupBy> of(String key) {
            return Arrays.stream(values()).filter(g -> g.key().equals(key)).findFirst();
        }
    }
}
