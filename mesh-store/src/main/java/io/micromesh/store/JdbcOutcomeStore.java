package io.micromesh.store;

import io.micromesh.core.outcomes.OutcomeStore;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The outcome store in the gateway's database ({@code mesh.db} under the state folder), schema
 * {@code gateway}. Writes are single statements (SQLite serialises them; WAL lets reads go on).
 * Thread-safe.
 */
public final class JdbcOutcomeStore implements OutcomeStore {

    private final Database db;
    private final boolean owned;
    private final Clock clock;

    private JdbcOutcomeStore(Database db, boolean owned, Clock clock) {
        this.db = db;
        this.owned = owned;
        this.clock = clock;
    }

    /**
     * Opens (creating when needed) the store in the SQLite file {@code file} and brings its schema up
     * to date; closing the store closes the file.
     *
     * @throws StoreException when the file cannot be opened or is not this store's database
     */
    public static JdbcOutcomeStore open(Path file, Clock clock) {
        Database db = Database.sqlite(file, Database.Durability.PROCESS_CRASH, 4);
        try {
            db.migrate("gateway");
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
        return new JdbcOutcomeStore(db, true, clock);
    }

    /** The store in a database already opened and migrated to schema {@code gateway}, which stays its caller's. */
    public static JdbcOutcomeStore in(Database db, Clock clock) {
        return new JdbcOutcomeStore(db, false, clock);
    }

    @Override
    public void remember(Completion completion) {
        update("INSERT INTO completions (id, route, model, prompt, task, created_ms) VALUES (?, ?, ?, ?, ?, ?)"
                        + " ON CONFLICT (id) DO UPDATE SET route = excluded.route, model = excluded.model,"
                        + " prompt = excluded.prompt, task = excluded.task, created_ms = excluded.created_ms",
                completion.id(), completion.route(), completion.model(), completion.prompt(), completion.task(), clock.millis());
    }

    @Override
    public Optional<Completion> completion(String id) {
        return db.query(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT route, model, prompt, task FROM completions WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(new Completion(id, r.getString(1), r.getString(2), r.getString(3), r.getString(4)))
                            : Optional.empty();
                }
            }
        });
    }

    @Override
    public void verdict(String model, String prompt, String task, boolean passed, String detail) {
        update("INSERT INTO outcomes (model, prompt, task, score, source, completion_id, detail, created_ms)"
                        + " VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
                model, prompt, task, passed ? 1.0 : 0.0, Source.CASCADE.key(), detail, clock.millis());
    }

    @Override
    public void feedback(Completion completion, double score) {
        if (!(score >= 0 && score <= 1)) {
            throw new IllegalArgumentException("a score is from 0 to 1, got " + score);
        }
        update("INSERT INTO outcomes (model, prompt, task, score, source, completion_id, detail, created_ms)"
                        + " VALUES (?, ?, ?, ?, ?, ?, NULL, ?)"
                        + " ON CONFLICT (completion_id) WHERE source = 'feedback' DO UPDATE SET score = excluded.score,"
                        + " created_ms = excluded.created_ms",
                completion.model(), completion.prompt(), completion.task(), score, Source.FEEDBACK.key(), completion.id(),
                clock.millis());
    }

    @Override
    public List<Outcome> outcomes(Collection<String> models) {
        String marks = String.join(",", Collections.nCopies(models.size(), "?"));
        return db.query(c -> {
            List<Outcome> found = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT model, prompt, score, task FROM outcomes WHERE model IN ("
                    + marks + ") ORDER BY seq")) {
                int i = 1;
                for (String m : models) {
                    s.setString(i++, m);
                }
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        found.add(new Outcome(r.getString(1), r.getString(2), r.getDouble(3), r.getString(4)));
                    }
                }
            }
            return found;
        });
    }

    private void update(String sql, Object... values) {
        db.query(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < values.length; i++) {
                    s.setObject(i + 1, values[i]);
                }
                return s.executeUpdate();
            }
        });
    }

    @Override
    public void close() {
        if (owned) {
            db.close();
        }
    }
}
