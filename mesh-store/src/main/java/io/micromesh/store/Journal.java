package io.micromesh.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable record of a batch job: which input it belongs to (by SHA-256), and per input line its
 * state and, once done, its output line. Every result is committed before it counts, so a job
 * killed at any moment and run again with {@code --resume} sends only what was not journaled.
 * An SQLite {@link Database} in WAL mode with {@code synchronous=FULL}: a committed result survives a
 * power cut as well as a kill. Schema {@code journal}. One connection, each use waiting its turn:
 * writes are single small transactions and SQLite serialises them anyway. Thread-safe.
 */
public final class Journal implements AutoCloseable {

    /**
     * An item as journaled.
     *
     * @param failed    whether its output line is an error (a final failure, or a line that could not run)
     * @param updatedMs when it was last written (its completion, once done), epoch milliseconds
     */
    public record Item(int line, String customId, boolean done, String result, boolean failed, long updatedMs) {

        /** An item to register: one registered done is a line that cannot run, its result the error line. */
        public Item(int line, String customId, boolean done, String result) {
            this(line, customId, done, result, done, 0);
        }
    }

    /**
     * How far a job is.
     *
     * @param total  items registered
     * @param done   items with their output line
     * @param failed done items whose line is an error
     */
    public record Counts(long total, long done, long failed) {
    }

    /** Why a journal cannot be used. */
    public static final class JournalException extends RuntimeException {
        public JournalException(String message) {
            super(message);
        }
    }

    /**
     * Cost and energy spent so far.
     *
     * @param costUsd  US dollars
     * @param energyWh watt-hours
     */
    public record Spent(double costUsd, double energyWh) {
    }

    private final Database db;
    private final Clock clock;

    private Journal(Database db, Clock clock) {
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
        Database db;
        try {
            db = Database.sqlite(file, Database.Durability.POWER_LOSS, 1);
        } catch (RuntimeException e) {
            throw new JournalException("cannot use the journal " + file + ": " + e.getMessage());
        }
        try {
            if (exists) {
                checkBelongs(db, file, inputSha256, task);
            }
            db.migrate("journal");
            Journal journal = new Journal(db, clock);
            if (!exists) {
                journal.update("INSERT INTO job (id, input, input_sha256, task, created_ms) VALUES (1, ?, ?, ?, ?)",
                        input, inputSha256, task, clock.millis());
            }
            return journal;
        } catch (RuntimeException e) {
            db.close();
            if (e instanceof JournalException known) {
                throw known;
            }
            throw new JournalException("cannot use the journal " + file + ": " + e.getMessage());
        }
    }

    private static boolean isSqlite(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(16);
            return new String(head, StandardCharsets.US_ASCII).startsWith("SQLite format 3");
        } catch (IOException e) {
            return false;
        }
    }

    private static void checkBelongs(Database db, Path file, String inputSha256, String task) {
        try (var c = db.connection();
             PreparedStatement s = c.prepareStatement("SELECT input, input_sha256, task FROM job WHERE id = 1");
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
    public void register(List<Item> items) {
        inTransaction("INSERT INTO items (line, custom_id, state, result, failed, updated_ms) VALUES (?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (line) DO NOTHING", s -> {
            for (Item item : items) {
                s.setInt(1, item.line());
                s.setString(2, item.customId());
                s.setString(3, item.done() ? "done" : "pending");
                s.setString(4, item.result());
                s.setInt(5, item.failed() ? 1 : 0);
                s.setLong(6, clock.millis());
                s.addBatch();
            }
        });
    }

    /**
     * An item's output line (a result or a final error), with what it cost.
     *
     * @param failed whether the line is an error
     */
    public record Completion(int line, String result, int attempts, double costUsd, double energyWh, boolean failed) {

        /** A result that is not an error. */
        public Completion(int line, String result, int attempts, double costUsd, double energyWh) {
            this(line, result, attempts, costUsd, energyWh, false);
        }
    }

    /** Journals an item's output line (not an error). */
    public void complete(int line, String result, int attempts, double costUsd, double energyWh) {
        completeAll(List.of(new Completion(line, result, attempts, costUsd, energyWh)));
    }

    /** Journals several items' output lines in one transaction (one disk sync for all of them). */
    public void completeAll(List<Completion> completions) {
        long now = clock.millis();
        inTransaction("UPDATE items SET state = 'done', result = ?, attempts = ?, cost_usd = ?, energy_wh = ?, failed = ?,"
                + " updated_ms = ? WHERE line = ? AND state = 'pending'", s -> {
            for (Completion c : completions) {
                s.setString(1, c.result());
                s.setInt(2, c.attempts());
                s.setDouble(3, c.costUsd());
                s.setDouble(4, c.energyWh());
                s.setInt(5, c.failed() ? 1 : 0);
                s.setLong(6, now);
                s.setInt(7, c.line());
                s.addBatch();
            }
        });
    }

    /** Fills a batch of one statement. */
    private interface Batch {
        void fill(PreparedStatement statement) throws SQLException;
    }

    /** Runs a batch of one statement as one transaction: one disk sync for all its rows, none of them when it fails. */
    private void inTransaction(String sql, Batch batch) {
        try {
            db.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement(sql)) {
                    batch.fill(s);
                    return s.executeBatch();
                }
            });
        } catch (StoreException e) {
            throw new JournalException("journal: " + e.getMessage());
        }
    }

    /** The items in input order. */
    public List<Item> items() {
        return read(c -> {
            List<Item> items = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT line, custom_id, state, result, failed, updated_ms FROM items"
                    + " ORDER BY line");
                 ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    items.add(new Item(r.getInt(1), r.getString(2), r.getString(3).equals("done"), r.getString(4),
                            r.getInt(5) == 1, r.getLong(6)));
                }
            }
            return items;
        });
    }

    /** How many items are registered, done, and done with an error line. */
    public Counts counts() {
        return read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'done' THEN 1 ELSE 0"
                    + " END), 0), COALESCE(SUM(failed), 0) FROM items");
                 ResultSet r = s.executeQuery()) {
                r.next();
                return new Counts(r.getLong(1), r.getLong(2), r.getLong(3));
            }
        });
    }

    /** A value the job's runner kept under {@code name}. */
    public java.util.Optional<String> attribute(String name) {
        return read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT value FROM attributes WHERE name = ?")) {
                s.setString(1, name);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? java.util.Optional.of(r.getString(1)) : java.util.Optional.<String>empty();
                }
            }
        });
    }

    /** Keeps {@code value} under {@code name}, replacing what was there. */
    public void attribute(String name, String value) {
        update("INSERT INTO attributes (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                name, value);
    }

    /** Cost and energy of the journaled items so far. */
    public Spent spent() {
        return read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT COALESCE(SUM(cost_usd), 0), COALESCE(SUM(energy_wh), 0) FROM items");
                 ResultSet r = s.executeQuery()) {
                r.next();
                return new Spent(r.getDouble(1), r.getDouble(2));
            }
        });
    }

    private void update(String sql, Object... values) {
        read(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < values.length; i++) {
                    s.setObject(i + 1, values[i]);
                }
                return s.executeUpdate();
            }
        });
    }

    private <T> T read(Database.Work<T> work) {
        try {
            return db.query(work);
        } catch (StoreException e) {
            throw new JournalException("journal: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        db.close();
    }
}
