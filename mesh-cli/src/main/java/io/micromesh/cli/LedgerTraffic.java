package io.micromesh.cli;

import io.micromesh.cli.plan.FromLedger;
import io.micromesh.core.config.ConfigException;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.plan.Catalog;
import io.micromesh.core.plan.Workload;
import io.micromesh.store.Database;
import io.micromesh.store.Ledger;
import io.micromesh.store.StoreException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import java.time.format.DateTimeParseException;

/** {@code mesh plan --from-ledger}: reads the traffic of a window from the store of a configuration, and plans it. */
final class LedgerTraffic {

    private LedgerTraffic() {
    }

    static FromLedger.Result plan(Path configFile, String since, Catalog catalog) {
        MeshConfig mesh;
        try {
            mesh = ConfigLoader.withSystemEnvironment().load(configFile);
        } catch (ConfigException e) {
            throw new UserError(e.getMessage());
        }
        Instant now = Instant.now();
        Instant from = since == null ? now.minus(Duration.ofDays(7)) : instant(since);
        if (!from.isBefore(now)) {
            throw new UserError("--since " + since + " is not in the past");
        }
        try (Database db = Database.open(mesh.store(), Path.of(mesh.server().stateDir()))) {
            db.migrate("gateway");
            Ledger ledger = new Ledger(db, Clock.systemUTC(), Duration.ofDays(mesh.store().retentionDays()));
            try {
                return FromLedger.plan(ledger.traffic(from, now), Duration.between(from, now), catalog, new Workload.Settings(null, null));
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage() + " (since " + from + ")");
            } finally {
                ledger.close();
            }
        } catch (StoreException e) {
            throw new UserError("cannot read the ledger: " + e.getMessage());
        }
    }

    private static Instant instant(String value) {
        try {
            return io.micromesh.core.accounting.Period.parseInstantOrDate(value);
        } catch (DateTimeParseException e) {
            throw new UserError("--since '" + value + "' is not an instant (2026-12-04T09:00:00Z) or a date (2026-12-04)");
        }
    }
}
