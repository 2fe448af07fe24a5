package io.micromesh.core.dispatch;

import io.micromesh.core.accounting.EnergyMethod;
import java.util.Optional;

/**
 * Who serves (or served) a request, and why: what the edge shows in the {@code x-mesh-model},
 * {@code x-mesh-route}, {@code x-mesh-cascade} and {@code x-mesh-energy-method} headers.
 *
 * @param model        the model's id
 * @param routing      the router's account of its choice (and of a fallback), when a route chose
 * @param cascade      the cascade's account of its checks, when a route verified answers
 * @param energyMethod how the energy figure is obtained: the expected method before an answer, the
 *                     actual one after
 * @param cache        the response cache's part ({@code hit}, {@code miss}, {@code bypass}), empty when the
 *                     model or route caches nothing: the {@code x-mesh-cache} header
 */
public record Served(String model, Optional<String> routing, Optional<String> cascade, EnergyMethod energyMethod,
                     String cache) {

    /** Served without a cache. */
    public Served(String model, Optional<String> routing, Optional<String> cascade, EnergyMethod energyMethod) {
        this(model, routing, cascade, energyMethod, "");
    }

    /** The same, with the cache's part. */
    public Served withCache(String status) {
        return new Served(model, routing, cascade, energyMethod, status);
    }
}
