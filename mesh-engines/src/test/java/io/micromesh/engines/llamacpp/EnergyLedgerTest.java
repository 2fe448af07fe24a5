package io.micromesh.engines.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micromesh.testkit.FakeClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Attribution of measured CPU time and energy to requests by their token shares, on meters the test turns. */
class EnergyLedgerTest {

    private final FakeClock clock = new FakeClock();
    private double cpu;
    private double joules;

    @Test
    void eachIntervalIsSplitByTheTokensEachActiveRequestProcessedInIt() {
        EnergyLedger ledger = new EnergyLedger(() -> cpu, () -> joules, clock);
        EnergyLedger.Account a = ledger.open();
        EnergyLedger.Account b = ledger.open();
        a.tokens(30);
        b.tokens(10);
        cpu += 4;
        joules += 100;
        EnergyLedger.Share first = ledger.close(a);  // a: 3/4 of 4 s and of 100 J
        assertThat(first.cpuSeconds()).isCloseTo(3.0, within(1e-9));
        assertThat(first.joules()).isCloseTo(75.0, within(1e-9));
        b.tokens(5);
        cpu += 2;
        joules += 40;
        EnergyLedger.Share second = ledger.close(b);  // b: 1 s before, all of the next 2 s
        assertThat(second.cpuSeconds()).isCloseTo(3.0, within(1e-9));
        assertThat(second.joules()).isCloseTo(65.0, within(1e-9));
        assertThat(first.cpuSeconds() + second.cpuSeconds()).isCloseTo(cpu, within(1e-9));
    }

    @Test
    void whatTheProcessUsesInALongIdleSpellIsNobodysRequest() {
        EnergyLedger ledger = new EnergyLedger(() -> cpu, null, clock);
        cpu += 7;  // idle before the first request, for a minute
        clock.advance(Duration.ofMinutes(1));
        EnergyLedger.Account a = ledger.open();
        a.tokens(1);
        cpu += 1;
        assertThat(ledger.close(a).cpuSeconds()).isCloseTo(1.0, within(1e-9));
        assertThat(ledger.unattributedCpuSeconds()).isCloseTo(7.0, within(1e-9));
        assertThat(ledger.measuresEnergy()).isFalse();
    }

    @Test
    void aShortPauseBetweenRequestsIsBilledToTheNext() {
        EnergyLedger ledger = new EnergyLedger(() -> cpu, null, clock);
        EnergyLedger.Account a = ledger.open();
        a.tokens(1);
        cpu += 1;
        ledger.close(a);
        cpu += 0.25;  // the HTTP layer between two requests of a busy run
        clock.advance(Duration.ofMillis(200));
        EnergyLedger.Account b = ledger.open();
        b.tokens(1);
        cpu += 1;
        assertThat(ledger.close(b).cpuSeconds()).isCloseTo(1.25, within(1e-9));
        assertThat(ledger.unattributedCpuSeconds()).isZero();
    }

    @Test
    void anIntervalWithoutTokensCarriesOverToTheNext() {
        EnergyLedger ledger = new EnergyLedger(() -> cpu, null, clock);
        EnergyLedger.Account a = ledger.open();
        EnergyLedger.Account b = ledger.open();
        cpu += 2;
        ledger.close(b);  // nothing processed yet by anyone: no split, the time stays in the interval
        a.tokens(4);
        cpu += 1;
        assertThat(ledger.close(a).cpuSeconds()).isCloseTo(3.0, within(1e-9));
    }
}
