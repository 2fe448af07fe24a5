package io.micromesh.store;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micromesh.core.config.StoreSettings;
import io.micromesh.testkit.PostgresServer;
import java.nio.file.Path;
import java.sql.Statement;

/**
 * The gateway's store for tests: a SQLite file in a folder, or the schema of one shared throwaway
 * PostgreSQL server (emptied for each test), migrated to schema {@code gateway}.
 */
final class StoreFixture {

    private static PostgresServer postgres;

    private StoreFixture() {
    }

    /** The one PostgreSQL server of this test JVM, started on first use; tests skip where PostgreSQL is not installed. */
    static synchronized PostgresServer postgres() {
        assumeTrue(PostgresServer.available(), "PostgreSQL is not installed (.ci/run installs it)");
        if (postgres == null) {
            postgres = PostgresServer.start();
        }
        return postgres;
    }

    static StoreSettings postgresSettings() {
        PostgresServer server = postgres();
        return new StoreSettings(server.jdbcUrl(), server.user(), server.password(), null, 20);
    }

    /** A fresh, migrated store: {@code sqlite} in {@code dir}, or {@code postgresql} with its schema emptied first. */
    static Database fresh(String kind, Path dir) {
        if (kind.equals("sqlite")) {
            Database db = Database.open(StoreSettings.defaults(), dir);
            db.migrate("gateway");
            return db;
        }
        Database db = Database.open(postgresSettings(), dir);
        db.query(c -> {
            try (Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA public CASCADE");
                st.execute("CREATE SCHEMA public");
            }
            return null;
        });
        db.migrate("gateway");
        return db;
    }

    /** Another pool on the same PostgreSQL database, as a second gateway instance has. */
    static Database secondInstance(Path dir) {
        Database db = Database.open(postgresSettings(), dir);
        db.migrate("gateway");
        return db;
    }
}
