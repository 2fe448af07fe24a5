package io.micromesh.core.accounting;

/**
 * What one request cost.
 *
 * @param costUsd  US dollars
 * @param energyWh watt-hours
 * @param method   how {@code energyWh} was obtained
 */
public record Charge(double costUsd, double energyWh, EnergyMethod method) {

    public Charge {
        if (!(costUsd >= 0) || !(energyWh >= 0)) {
            throw new IllegalArgumentException("a charge is not negative: $" + costUsd + ", " + energyWh + " Wh");
        }
    }

    /** The charge of two calls together; the energy method stays this one's (the answer's model). */
    public Charge plus(Charge other) {
        return new Charge(costUsd + other.costUsd, energyWh + other.energyWh, method);
    }
}
