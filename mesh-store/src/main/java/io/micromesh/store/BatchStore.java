package io.micromesh.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The batches of the Batch API as their clients see them: status and its times, request counts,
 * output and error files, validation errors. The items themselves are in each batch's journal;
 * this table is what {@code GET /v1/batches} reads, from any gateway that shares the store. A batch
 * changes status only through {@link #move}, which checks the status it leaves, so that two
 * actors (the runner finishing, a client cancelling) cannot both win. Thread-safe.
 */
public final class BatchStore {

    /** A batch's status, as OpenAI names them. */
    public enum Status {
        VALIDATING, IN_PROGRESS, FINALIZING, COMPLETED, FAILED, EXPIRED, CANCELLING, CANCELLED;

        /** Its name on the wire and in the table. */
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether the batch is over: nothing will change it again (but a resume of a budget stop). */
        public boolean terminal() {
            return this == COMPLETED || this == FAILED || this == EXPIRED || this == CANCELLED;
        }

        static Status of(String wire) {
            return valueOf(wire.toUpperCase(Locale.ROOT));
        }

        /** The column holding when the batch entered this status (validating's is created_ms). */
        String column() {
            return this == VALIDATING ? "created_ms" : wire() + "_ms";
        }
    }

    /**
     * Items counted so far, and what they cost.
     *
     * @param total     items in the batch (0 until it is validated)
     * @param completed items answered
     * @param failed    items whose line is an error
     */
    public record Counts(long total, long completed, long failed, double costUsd, double energyWh) {
    }

    /**
     * A batch as recorded.
     *
     * @param metadata the client's metadata, a JSON object's text, or null
     * @param times    when it entered each status it has been in
     * @param errors   a JSON array of errors ({@code code}, {@code message}, {@code param}, {@code line}), or null
     */
    public record Batch(String id, String keyId, String node, String endpoint, String inputFileId, String completionWindow,
                        String metadata, Status status, Instant created, Instant expires, Map<Status, Instant> times,
                        Counts counts, String outputFileId, String errorFileId, String errors) {
    }

    private static final String COLUMNS = "id, key_id, node, endpoint, input_file_id, completion_window, metadata, status,"
            + " created_ms, expires_ms, " + java.util.Arrays.stream(Status.values()).filter(s -> s != Status.VALIDATING)
            .map(Status::column).collect(Collectors.joining(", "))
            + ", total, completed, failed, cost_usd, energy_wh, output_file_id, error_file_id, errors";

    private final Database db;
    private final Clock clock;

    public BatchStore(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** Records a new batch, {@code validating}. */
    public Batch create(String id, String keyId, String node, String endpoint, String inputFileId, String completionWindow,
                        String metadata, Instant expires) {
        long now = clock.millis();
        db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("INSERT INTO batches (id, key_id, node, endpoint, input_file_id,"
                    + " completion_window, metadata, status, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                st.setString(1, id);
                st.setString(2, keyId);
                st.setString(3, node);
                st.setString(4, endpoint);
                st.setString(5, inputFileId);
                st.setString(6, completionWindow);
                st.setString(7, metadata);
                st.setString(8, Status.VALIDATING.wire());
                st.setLong(9, now);
                st.setLong(10, expires.toEpochMilli());
                return st.executeUpdate();
            }
        });
        return get(id).orElseThrow();
    }

    /** The batch with this id. */
    public Optional<Batch> get(String id) {
        List<Batch> found = select(" WHERE id = ?", id);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /**
     * A page of batches, newest first: of one key, or everyone's.
     *
     * @param after the id of the last batch of the previous page, or null for the first page
     * @param limit at most this many
     */
    public List<Batch> list(Optional<String> keyId, String after, int limit) {
        StringBuilder where = new StringBuilder(" WHERE 1 = 1");
        List<Object> values = new ArrayList<>();
        keyId.ifPresent(k -> {
            where.append(" AND key_id = ?");
            values.add(k);
        });
        if (after != null) {
            Optional<Batch> last = get(after);
            if (last.isEmpty()) {
                return List.of();
            }
            where.append(" AND (created_ms < ? OR (created_ms = ? AND id < ?))");
            values.add(last.get().created().toEpochMilli());
            values.add(last.get().created().toEpochMilli());
            values.add(after);
        }
        where.append(" ORDER BY created_ms DESC, id DESC LIMIT ").append(limit);
        return select(where.toString(), values.toArray());
    }

    /** The batches that a gateway runs and that are not over: the ones it resumes when it starts. */
    public List<Batch> unfinished(String node) {
        return select(" WHERE node = ? AND status IN ('validating', 'in_progress', 'finalizing', 'cancelling')"
                + " ORDER BY created_ms, id", node);
    }

    /** Every batch that is not over, of any gateway: for the dashboard. */
    public List<Batch> running() {
        return select(" WHERE status IN ('validating', 'in_progress', 'finalizing', 'cancelling') ORDER BY created_ms, id");
    }

    /**
     * Moves a batch to {@code to} if it is in one of {@code from}, noting when.
     *
     * @return whether it moved (false when it was in another status, or does not exist)
     */
    public boolean move(String id, Set<Status> from, Status to) {
        String in = from.stream().map(s -> "'" + s.wire() + "'").collect(Collectors.joining(", "));
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE batches SET status = ?, " + to.column() + " = ?"
                    + " WHERE id = ? AND status IN (" + in + ")")) {
                st.setString(1, to.wire());
                st.setLong(2, clock.millis());
                st.setString(3, id);
                return st.executeUpdate() == 1;
            }
        });
    }

    /**
     * Puts a failed batch back in progress (a budget stop being resumed): its failure time and errors
     * are cleared.
     *
     * @return whether it was failed
     */
    public boolean resume(String id) {
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE batches SET status = 'in_progress', in_progress_ms = ?,"
                    + " failed_ms = NULL, errors = NULL WHERE id = ? AND status = 'failed'")) {
                st.setLong(1, clock.millis());
                st.setString(2, id);
                return st.executeUpdate() == 1;
            }
        });
    }

    /** Notes how far a batch is. */
    public void count(String id, Counts counts) {
        db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE batches SET total = ?, completed = ?, failed = ?, cost_usd = ?,"
                    + " energy_wh = ? WHERE id = ?")) {
                st.setLong(1, counts.total());
                st.setLong(2, counts.completed());
                st.setLong(3, counts.failed());
                st.setDouble(4, counts.costUsd());
                st.setDouble(5, counts.energyWh());
                st.setString(6, id);
                return st.executeUpdate();
            }
        });
    }

    /** Notes a batch's errors (a JSON array), or clears them with null. */
    public void errors(String id, String errors) {
        db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE batches SET errors = ? WHERE id = ?")) {
                st.setString(1, errors);
                st.setString(2, id);
                return st.executeUpdate();
            }
        });
    }

    /** Notes a batch's output and error files (either may be null: no line of that kind). */
    public void files(String id, String outputFileId, String errorFileId) {
        db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE batches SET output_file_id = ?, error_file_id = ? WHERE id = ?")) {
                setText(st, 1, outputFileId);
                setText(st, 2, errorFileId);
                st.setString(3, id);
                return st.executeUpdate();
            }
        });
    }

    private static void setText(PreparedStatement st, int index, String value) throws SQLException {
        if (value == null) {
            st.setNull(index, Types.VARCHAR);
        } else {
            st.setString(index, value);
        }
    }

    private List<Batch> select(String where, Object... values) {
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT " + COLUMNS + " FROM batches" + where)) {
                for (int i = 0; i < values.length; i++) {
                    st.setObject(i + 1, values[i]);
                }
                List<Batch> batches = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        batches.add(read(rs));
                    }
                }
                return batches;
            }
        });
    }

    private static Batch read(ResultSet rs) throws SQLException {
        Map<Status, Instant> times = new EnumMap<>(Status.class);
        times.put(Status.VALIDATING, Instant.ofEpochMilli(rs.getLong("created_ms")));
        for (Status s : Status.values()) {
            if (s != Status.VALIDATING) {
                long ms = rs.getLong(s.column());
                if (!rs.wasNull()) {
                    times.put(s, Instant.ofEpochMilli(ms));
                }
            }
        }
        return new Batch(rs.getString("id"), rs.getString("key_id"), rs.getString("node"), rs.getString("endpoint"),
                rs.getString("input_file_id"), rs.getString("completion_window"), rs.getString("metadata"),
                Status.of(rs.getString("status")), Instant.ofEpochMilli(rs.getLong("created_ms")),
                Instant.ofEpochMilli(rs.getLong("expires_ms")), times,
                new Counts(rs.getLong("total"), rs.getLong("completed"), rs.getLong("failed"), rs.getDouble("cost_usd"),
                        rs.getDouble("energy_wh")),
                rs.getString("output_file_id"), rs.getString("error_file_id"), rs.getString("errors"));
    }
}
