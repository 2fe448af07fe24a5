package io.micromesh.core.accounting;

import io.micromesh.core.config.EnergyProfile;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.config.Price;
import io.micromesh.core.spi.TokenCounts;

/**
 * The price and energy profile of one model, turning token counts into a {@link Charge}.
 * Immutable and thread-safe.
 */
public final class Tariff {

    private static final double JOULES_PER_WATT_HOUR = 3600.0;
    private static final double TOKENS_PER_MTOK = 1_000_000.0;

    private final Price price;
    private final EnergyProfile energy;

    private Tariff(Price price, EnergyProfile energy) {
        this.price = price;
        this.energy = energy;
    }

    /** The tariff configured for a model. */
    public static Tariff of(ModelSpec model) {
        return new Tariff(model.price(), model.energyProfile().orElse(null));
    }

    /** The charge for a request that used these tokens. */
    public Charge charge(TokenCounts tokens) {
        double cost = (tokens.prompt() * price.inputPerMtok() + tokens.completion() * price.outputPerMtok())
                / TOKENS_PER_MTOK;
        if (energy == null) {
            return new Charge(cost, 0, EnergyMethod.NONE);
        }
        double joules = tokens.prompt() * energy.inputJPerToken() + tokens.completion() * energy.outputJPerToken();
        return new Charge(cost, joules / JOULES_PER_WATT_HOUR, EnergyMethod.PER_TOKEN);
    }

    /** How this tariff's energy figures are obtained. */
    public EnergyMethod energyMethod() {
        return energy == null ? EnergyMethod.NONE : EnergyMethod.PER_TOKEN;
    }
}
