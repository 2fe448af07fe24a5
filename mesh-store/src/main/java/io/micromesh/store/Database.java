package io.micromesh.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micromesh.core.config.StoreSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * One database micromesh keeps something in, opened one way: a HikariCP pool, its schema made by
 * Flyway migrations. A SQLite file (zero set-up; the default) or a PostgreSQL database (shared by
 * several gateway instances). The migrations of a schema live in {@code db/SCHEMA/common} (portable
 * SQL, for every database) and {@code db/SCHEMA/VENDOR} (what one database needs done its own way,
 * such as SQLite's {@code AUTOINCREMENT} and PostgreSQL's {@code BIGSERIAL}). Statements that callers
 * share use SQL that SQLite and PostgreSQL both take ({@code INSERT ... ON CONFLICT}, {@code
 * UPDATE ... RETURNING}); where they differ, {@link #vendor()} says which one this is.
 * Thread-safe; close it to close its connections.
 */
public final class Database implements AutoCloseable {

    /** How hard SQLite works to keep a committed transaction through a crash. */
    public enum Durability {
        /** A commit survives a process kill; a power cut may lose the last ones (WAL, {@code synchronous=NORMAL}). */
        PROCESS_CRASH("NORMAL"),
        /** A commit survives a power cut too: every commit waits for the disk (WAL, {@code synchronous=FULL}). */
        POWER_LOSS("FULL");

        private final String synchronous;

        Durability(String synchronous) {
            this.synchronous = synchronous;
        }
    }

    /** The kinds of database. */
    public enum Vendor {
        SQLITE("sqlite"),
        POSTGRESQL("postgresql");

        private final String folder;

        Vendor(String folder) {
            this.folder = folder;
        }
    }

    private final HikariDataSource pool;
    private final String where;
    private final Vendor vendor;

    private Database(HikariDataSource pool, String where, Vendor vendor) {
        this.pool = pool;
        this.where = where;
        this.vendor = vendor;
    }

    /**
     * Opens the gateway's store as configured: the PostgreSQL database of {@code store.url}, or a
     * SQLite file ({@code store.url}'s, else {@code mesh.db} in {@code stateDir}).
     *
     * @throws StoreException when the database cannot be reached or opened
     */
    public static Database open(StoreSettings settings, Path stateDir) {
        if (settings.postgres()) {
            return postgres(settings);
        }
        Path file = settings.url() == null ? stateDir.resolve("mesh.db") : Path.of(settings.url().substring("jdbc:sqlite:".length()));
        return sqlite(file, Durability.PROCESS_CRASH, Math.min(settings.poolSize(), 4));
    }

    /**
     * Opens a pool on the PostgreSQL database of {@code settings}. A connection that cannot be had
     * within 5 s fails (a request that needs the store then fails fast, instead of hanging).
     *
     * @throws StoreException when the database cannot be reached
     */
    private static Database postgres(StoreSettings settings) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(settings.url());
        if (settings.user() != null) {
            config.setUsername(settings.user());
        }
        if (settings.password() != null) {
            config.setPassword(settings.password());
        }
        config.setPoolName("postgresql");
        config.setMaximumPoolSize(settings.poolSize());
        config.setMinimumIdle(1);
        config.setConnectionTimeout(5_000);
        config.setValidationTimeout(2_000);
        // sockets that hang (a host gone, a cable pulled) fail instead of blocking a request for ever
        config.addDataSourceProperty("connectTimeout", "5");
        config.addDataSourceProperty("socketTimeout", "30");
        config.addDataSourceProperty("ApplicationName", "micromesh");
        String where = settings.url().replaceAll("(?i)password=[^&;]*", "password=***");
        try {
            return new Database(new HikariDataSource(config), where, Vendor.POSTGRESQL);
        } catch (RuntimeException e) {
            throw new StoreException("cannot reach the store " + where + ": " + rootMessage(e), e);
        }
    }

    /**
     * Opens (creating it and its folder when missing) the SQLite file {@code file}.
     *
     * @param connections connections kept open; SQLite writes one at a time, so a few let reads go on
     *                    beside a write, and one makes every use wait its turn
     * @throws StoreException when the file cannot be opened as a database
     */
    public static Database sqlite(Path file, Durability durability, int connections) {
        Path absolute = file.toAbsolutePath();
        try {
            if (absolute.getParent() != null) {
                Files.createDirectories(absolute.getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the folder of " + file + ": " + e.getMessage(), e);
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:sqlite:" + absolute);
        config.setPoolName("sqlite:" + absolute.getFileName());
        config.setMaximumPoolSize(connections);
        config.setMinimumIdle(Math.min(connections, 1));
        config.setConnectionInitSql("PRAGMA busy_timeout = 5000");
        config.addDataSourceProperty("journal_mode", "WAL");
        config.addDataSourceProperty("synchronous", durability.synchronous);
        // a transaction that reads then writes (a budget's reservation) takes the write lock at its start:
        // two that began reading would otherwise fail at once ("database is locked") when both write
        config.addDataSourceProperty("transaction_mode", "IMMEDIATE");
        try {
            return new Database(new HikariDataSource(config), file.toString(), Vendor.SQLITE);
        } catch (RuntimeException e) {
            throw new StoreException(file + " cannot be opened as a database: " + rootMessage(e), e);
        }
    }

    /**
     * Brings the schema {@code name} up to date: the migrations under {@code db/NAME/common} and
     * {@code db/NAME/VENDOR} ({@code sqlite}, {@code postgresql}) that have not run yet.
     *
     * @throws StoreException when the database is not this schema's (another program's file, a newer version)
     */
    public void migrate(String name) {
        List<String> locations = new ArrayList<>();
        for (String folder : List.of("common", vendor.folder)) {
            String location = "db/" + name + "/" + folder;
            if (Database.class.getClassLoader().getResource(location) != null) {
                locations.add("classpath:" + location);
            }
        }
        try {
            Flyway.configure().dataSource(pool).locations(locations.toArray(String[]::new)).load().migrate();
        } catch (RuntimeException e) {
            throw new StoreException("cannot use " + where + " (is it another program's database?): " + rootMessage(e), e);
        }
    }

    /** The pool, for callers that hand it to a library. */
    public DataSource dataSource() {
        return pool;
    }

    /** A connection of the pool; close it to give it back. */
    public Connection connection() throws SQLException {
        return pool.getConnection();
    }

    /** Which kind of database this is, for the statements that differ. */
    public Vendor vendor() {
        return vendor;
    }

    /** What the database is (its file or URL, without a password), for messages. */
    public String where() {
        return where;
    }

    /** Work on a connection inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction (one disk sync for all it writes), committed when it
     * returns and rolled back when it throws: nothing of a failed transaction counts.
     *
     * @throws StoreException when the database fails
     */
    public <T> T inTransaction(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException(where + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs one statement outside a transaction of its own.
     *
     * @throws StoreException when the database fails
     */
    public <T> T query(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreException(where + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }
}
