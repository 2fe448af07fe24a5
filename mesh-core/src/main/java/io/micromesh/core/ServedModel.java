package io.micromesh.core;

import io.micromesh.core.accounting.Tariff;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.spi.Backend;

/**
 * A model of the portfolio, ready to serve: its configuration, the backend that runs it, and its tariff.
 *
 * @param spec    the configuration entry
 * @param backend the backend that serves it
 * @param tariff  its price and energy profile
 */
public record ServedModel(ModelSpec spec, Backend backend, Tariff tariff) {

    /** The model id clients use. */
    public String id() {
        return spec.id();
    }
}
