package io.micromesh.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
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
 * Flyway migrations. SQLite files today (zero set-up); the migrations of a schema live in
 * {@code db/SCHEMA/common} (portable SQL, for every database) and {@code db/SCHEMA/VENDOR} (what
 * one database needs done its own way, such as SQLite's {@code AUTOINCREMENT}), so that a
 * PostgreSQL dialect adds its own folder without rewriting the others. Statements that all callers
 * share use SQL that SQLite and PostgreSQL both take ({@code INSERT ... ON CONFLICT}).
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

    private static final String VENDOR = "sqlite";

    private final HikariDataSource pool;
    private final String where;

    private Database(HikariDataSource pool, String where) {
        this.pool = pool;
        this.where = where;
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
        try {
            return new Database(new HikariDataSource(config), file.toString());
        } catch (RuntimeException e) {
            throw new StoreException(file + " cannot be opened as a database: " + rootMessage(e), e);
        }
    }

    /**
     * Brings the schema {@code name} up to date: the migrations under {@code db/NAME/common} and
     * {@code db/NAME/sqlite} that have not run yet.
     *
     * @throws StoreException when the database is not this schema's (another program's file, a newer version)
     */
    public void migrate(String name) {
        List<String> locations = new ArrayList<>();
        for (String folder : List.of("common", VENDOR)) {
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

    /** What the database is (its file), for messages. */
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
