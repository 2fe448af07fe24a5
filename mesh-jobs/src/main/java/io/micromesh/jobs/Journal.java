package io.micromesh.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * The durable record of a batch job: which input it belongs to (by SHA-256), and per input line its
 * state and, once done, its output line. Every result is committed before it counts, so a job
 * killed at any moment and run again with {@code --resume} sends only what was not journaled.
 * SQLite in WAL mode with {@code synchronous=FULL}: a committed result survives a power cut as well
 * as a kill. Schema by Flyway migrations ({@code db/journal}). One connection, used under this
 * object's lock: writes are single small transactions and SQLite serialises them anyway.
 */
public final class Journal implements AutoCloseable {

    /**
     * An item as journaled.
     *
     * @param updatedMs when it was last written (its completion, once done), epoch milliseconds
     */
    public record Item(int line, String customId, boolean done, String result, long updatedMs) {

        /** An item to register. */
        public Item(int line, String customId, boolean done, String result) {
            this(line, customId, done, result, 0);
        }
    }

    /** Why a journal cannot be used. */
    public static final class JournalException extends RuntimeException {
        public JournalException(String message) {
            super(message);
        }
    }

    private final Connection db;
    private final Clock clock;

    private Journal(Connection db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /**
     * Opens the journal of a job.
     *
     * @param resume whether an existing journal may be continued
     * @throws JournalException when a journal exists and {@code resume} is false, when it belongs to
     *                          another input or task, or when the file is not a journal
     */
    public static Journal open(Path file, String input, String inputSha256, String task, boolean resume, Clock clock) {
        boolean exists = Files.exists(file);
        if (exists && !resume) {
            throw new JournalException("a journal of an earlier run exists at " + file
                    + "; add --resume to continue that job, or delete the journal (and the output) to start again");
        }
        if (exists && !isSqlite(file)) {
            throw new JournalException(file + " is not a journal (not an SQLite file); it is left as it is");
        }
        try {
            Connection db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (var s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=5000");
            }
            if (exists) {
                checkBelongs(db, file, inputSha256, task);
            }
            org.sqlite.SQLiteDataSource source = new org.sqlite.SQLiteDataSource(sqliteConfig());
            source.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
            FluentConfiguration flyway = Flyway.configure().dataSource(source).locations("classpath:db/journal");
            flyway.load().migrate();
            Journal journal = new Journal(db, clock);
            if (!exists) {
                journal.update("INSERT INTO job (id, input, input_sha256, task, created_ms) VALUES (1, ?, ?, ?, ?)",
                        input, inputSha256, task, clock.millis());
            }
            return journal;
        } catch (SQLException | RuntimeException e) {
            if (e instanceof JournalException known) {
                throw known;
            }
            throw new JournalException("cannot use the journal " + file + ": " + e.getMessage());
        }
    }

    private static org.sqlite.SQLiteConfig sqliteConfig() {
        org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
        config.setBusyTimeout(5000);
        return config;
    }

    private static boolean isSqlite(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(16);
            return new String(head, StandardCharsets.US_ASCII).startsWith("SQLite format 3");
        } catch (IOException e) {
            return false;
        }
    }

    private static void checkBelongs(Connection db, Path file, String inputSha256, String task) throws SQLException {
        try (PreparedStatement s = db.prepareStatement("SELECT input, input_sha256, task FROM job WHERE id = 1");
             ResultSet r = s.executeQuery()) {
            if (!r.next()) {
                throw new JournalException(file + " has no job; it is not a journal of mesh batch, and is left as it is");
            }
            if (!r.getString(2).equals(inputSha256)) {
                throw new JournalException("the journal " + file + " belongs to another input (" + r.getString(1)
                        + ", different content); it is left as it is — use another --out, or delete it to start again");
            }
            String journaled = r.getString(3);
            if (journaled == null ? task != null : !journaled.equals(task)) {
                throw new JournalException("the journal " + file + " belongs to task " + journaled + ", not " + task);
            }
        } catch (SQLException e) {
            throw new JournalException(file + " is not a journal of mesh batch (" + e.getMessage() + "); it is left as it is");
        }
    }

    /** Records the input's items that are not journaled yet (all of them on a first run). */
    public synchronized void register(List<Item> items) {
        inTransaction("INSERT OR IGNORE INTO items (line, custom_id, state, result, updated_ms) VALUES (?, ?, ?, ?, ?)", s -> {
            for (Item item : items) {
                s.setInt(1, item.line());
                s.setString(2, item.customId());
                s.setString(3, item.done() ? "done" : "pending");
                s.setString(4, item.result());
                s.setLong(5, clock.millis());
                s.addBatch();
            }
        });
    }

    /** An item's output line (a result or a final error), with what it cost. */
    public record Completion(int line, String result, int attempts, double costUsd, double energyWh) {
    }

    /** Journals an item's output line. */
    public void complete(int line, String result, int attempts, double costUsd, double energyWh) {
        completeAll(List.of(new Completion(line, result, attempts, costUsd, energyWh)));
    }

    /** Journals several items' output lines in one transaction (one disk sync for all of them). */
    public synchronized void completeAll(List<Completion> completions) {
        long now = clock.millis();
        inTransaction("UPDATE items SET state = 'done', result = ?, attempts = ?, cost_usd = ?, energy_wh = ?, updated_ms = ?"
                + " WHERE line = ? AND state = 'pending'", s -> {
            for (Completion c : completions) {
                s.setString(1, c.result());
                s.setInt(2, c.attempts());
                s.setDouble(3, c.costUsd());
                s.setDouble(4, c.energyWh());
                s.setLong(5, now);
                s.setInt(6, c.line());
                s.addBatch();
            }
        });
    }

    /** Fills a batch of one statement. */
    private interface Batch {
        void fill(PreparedStatement statement) throws SQLException;
    }

    /** Runs a batch of one statement as one transaction: one disk sync for all its rows. */
    private void inTransaction(String sql, Batch batch) {
        try {
            db.setAutoCommit(false);
            try (PreparedStatement s = db.prepareStatement(sql)) {
                batch.fill(s);
                s.executeBatch();
            }
            db.commit();
        } catch (SQLException e) {
            try {
                db.rollback();  // nothing of a failed batch counts
            } catch (SQLException ignored) {
                // the connection is gone
            }
            throw new JournalException("journal: " + e.getMessage());
        } finally {
            try {
                db.setAutoCommit(true);
            } catch (SQLException ignored) {
                // the connection is gone; the next call says so
            }
        }
    }

    /** The items in input order. */
    public synchronized List<Item> items() {
        List<Item> items = new ArrayList<>();
        try (PreparedStatement s = db.prepareStatement("SELECT line, custom_id, state, result, updated_ms FROM items ORDER BY line");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                items.add(new Item(r.getInt(1), r.getString(2), r.getString(3).equals("done"), r.getString(4), r.getLong(5)));
            }
        } catch (SQLException e) {
            throw new JournalException("journal: " + e.getMessage());
        }
        return items;
    }

    /** Cost and energy of the journaled items so far: {@code [usd, wh]}. */
    public synchronized double[] spent() {
        try (PreparedStatement s = db.prepareStatement("SELECT COALESCE(SUM(cost_usd), 0), COALESCE(SUM(energy_wh), 0) FROM items");
             ResultSet r = s.executeQuery()) {
            r.next();
            return new double[] {r.getDouble(1), r.getDouble(2)};
        } catch (SQLException e) {
            throw new JournalException("journal: " + e.getMessage());
        }
    }

    private void update(String sql, Object... values) {
        try (PreparedStatement s = db.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                s.setObject(i + 1, values[i]);
            }
            s.executeUpdate();
        } catch (SQLException e) {
            throw new JournalException("journal: " + e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing
        }
    }
}
