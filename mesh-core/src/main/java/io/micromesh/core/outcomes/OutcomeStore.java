package io.micromesh.core.outcomes;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.flywaydb.core.Flyway;

/**
 * The gateway's memory of how models did: labelled outcomes (from cascade verdicts and client
 * feedback) and the completions that feedback may name. An SQLite file under the state folder,
 * its schema made by Flyway migrations ({@code db/gateway}), so later features add tables as new
 * migrations. Writes are single statements (SQLite serialises them; WAL lets reads go on). Thread-safe.
 */
public final class OutcomeStore implements AutoCloseable {

    /** Where an outcome came from. */
    public enum Source {
        CASCADE, FEEDBACK;

        String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One stored outcome.
     *
     * @param model  the model that answered
     * @param prompt the text the router embeds for the prompt
     * @param score  1 good, 0 failed
     */
    public record Outcome(String model, String prompt, double score) {
    }

    /**
     * A completion that feedback may name.
     *
     * @param id     the response's {@code id}
     * @param route  the route that served it
     * @param model  the model that answered
     * @param prompt the text the router embeds for its prompt
     */
    public record Completion(String id, String route, String model, String prompt) {
    }

    private final HikariDataSource pool;
    private final Clock clock;
    private final Path file;

    private OutcomeStore(HikariDataSource pool, Clock clock, Path file) {
        this.pool = pool;
        this.clock = clock;
        this.file = file;
    }

    /**
     * Opens (creating when needed) the store at {@code file} and brings its schema up to date.
     *
     * @throws IllegalStateException when the file cannot be opened or is not this store's database
     */
    public static OutcomeStore open(Path file, Clock clock) {
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the folder of " + file + ": " + e.getMessage(), e);
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:sqlite:" + file.toAbsolutePath());
        config.setPoolName("outcomes");
        // SQLite writes one at a time; a few connections let reads go on beside a write (WAL)
        config.setMaximumPoolSize(4);
        config.setConnectionInitSql("PRAGMA busy_timeout = 5000");
        config.addDataSourceProperty("journal_mode", "WAL");
        config.addDataSourceProperty("synchronous", "NORMAL");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot open the outcome store " + file + ": " + e.getMessage(), e);
        }
        try {
            Flyway.configure().dataSource(pool).locations("classpath:db/gateway").load().migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw new IllegalStateException("cannot use " + file + " as the outcome store (is it another program's"
                    + " database?): " + e.getMessage(), e);
        }
        return new OutcomeStore(pool, clock, file);
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    /** Remembers a completion so that feedback may name it. */
    public void remember(Completion completion) {
        update("INSERT OR REPLACE INTO completions (id, route, model, prompt, created_ms) VALUES (?, ?, ?, ?, ?)",
                completion.id(), completion.route(), completion.model(), completion.prompt(), clock.millis());
    }

    /** The completion with this id, if one was remembered. */
    public Optional<Completion> completion(String id) {
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT route, model, prompt FROM completions WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(new Completion(id, r.getString(1), r.getString(2), r.getString(3)))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("outcome store: " + e.getMessage(), e);
        }
    }

    /** Stores a cascade verdict on a model's answer. */
    public void verdict(String model, String prompt, boolean passed, String detail) {
        update("INSERT INTO outcomes (model, prompt, score, source, completion_id, detail, created_ms) VALUES (?, ?, ?, ?, NULL, ?, ?)",
                model, prompt, passed ? 1.0 : 0.0, Source.CASCADE.key(), detail, clock.millis());
    }

    /** Stores feedback on a completion, replacing earlier feedback on the same one. */
    public void feedback(Completion completion, double score) {
        if (!(score >= 0 && score <= 1)) {
            throw new IllegalArgumentException("a score is from 0 to 1, got " + score);
        }
        update("INSERT INTO outcomes (model, prompt, score, source, completion_id, detail, created_ms) VALUES (?, ?, ?, ?, ?, NULL, ?)"
                        + " ON CONFLICT (completion_id) WHERE source = 'feedback' DO UPDATE SET score = excluded.score,"
                        + " created_ms = excluded.created_ms",
                completion.model(), completion.prompt(), score, Source.FEEDBACK.key(), completion.id(), clock.millis());
    }

    /** The outcomes of these models, oldest first; feedback replaced later counts once, with its latest score. */
    public List<Outcome> outcomes(Collection<String> models) {
        List<Outcome> found = new ArrayList<>();
        String marks = String.join(",", java.util.Collections.nCopies(models.size(), "?"));
        try (Connection c = pool.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT model, prompt, score FROM outcomes WHERE model IN ("
                     + marks + ") ORDER BY seq")) {
            int i = 1;
            for (String m : models) {
                s.setString(i++, m);
            }
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    found.add(new Outcome(r.getString(1), r.getString(2), r.getDouble(3)));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("outcome store: " + e.getMessage(), e);
        }
        return found;
    }

    private void update(String sql, Object... values) {
        try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                s.setObject(i + 1, values[i]);
            }
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("outcome store: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
