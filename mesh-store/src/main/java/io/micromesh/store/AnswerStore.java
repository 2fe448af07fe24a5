package io.micromesh.store;

import io.micromesh.core.accounting.EnergyMethod;
import io.micromesh.core.cache.AnswerCache;
import io.micromesh.core.cache.CacheKey;
import io.micromesh.core.spi.SharedAnswers;
import io.micromesh.core.spi.Usage;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The response cache's shared tier in the gateway's store (table {@code cached_answers}): answers
 * that every gateway on the store can serve. Written with one upsert ({@code ON CONFLICT ... DO
 * UPDATE}, which SQLite and PostgreSQL both take); expired rows are read as absent and deleted every
 * {@value #SWEEP_EVERY} writes. Thread-safe.
 */
public final class AnswerStore implements SharedAnswers {

    static final int SWEEP_EVERY = 1_000;

    private final Database db;
    private final Clock clock;
    private final AtomicLong writes = new AtomicLong();

    public AnswerStore(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    @Override
    public Optional<AnswerCache.Stored> get(CacheKey key) {
        long now = clock.millis();
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT body, model, energy_method, prompt_tokens,"
                    + " completion_tokens, cost_usd, energy_wh, expires_at_ms FROM cached_answers WHERE cache_key = ?"
                    + " AND expires_at_ms > ?")) {
                st.setString(1, key.digest());
                st.setLong(2, now);
                try (ResultSet r = st.executeQuery()) {
                    if (!r.next()) {
                        return Optional.<AnswerCache.Stored>empty();
                    }
                    String methodKey = r.getString(3);
                    EnergyMethod method = Arrays.stream(EnergyMethod.values()).filter(m -> m.key().equals(methodKey))
                            .findFirst().orElse(EnergyMethod.NONE);
                    return Optional.of(new AnswerCache.Stored(r.getString(1).getBytes(StandardCharsets.UTF_8), r.getString(2),
                            method, new Usage(r.getLong(4), r.getLong(5)), r.getDouble(6), r.getDouble(7),
                            Duration.ofMillis(Math.max(1, r.getLong(8) - now))));
                }
            }
        });
    }

    @Override
    public void put(CacheKey key, AnswerCache.Stored stored, Instant expires) {
        db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("INSERT INTO cached_answers (cache_key, body, model, energy_method,"
                    + " prompt_tokens, completion_tokens, cost_usd, energy_wh, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT (cache_key) DO UPDATE SET body = excluded.body, model = excluded.model,"
                    + " energy_method = excluded.energy_method, prompt_tokens = excluded.prompt_tokens,"
                    + " completion_tokens = excluded.completion_tokens, cost_usd = excluded.cost_usd,"
                    + " energy_wh = excluded.energy_wh, expires_at_ms = excluded.expires_at_ms")) {
                st.setString(1, key.digest());
                st.setString(2, new String(stored.body(), StandardCharsets.UTF_8));
                st.setString(3, stored.model());
                st.setString(4, stored.method().key());
                st.setLong(5, stored.tokens().prompt());
                st.setLong(6, stored.tokens().completion());
                st.setDouble(7, stored.costUsd());
                st.setDouble(8, stored.energyWh());
                st.setLong(9, expires.toEpochMilli());
                return st.executeUpdate();
            }
        });
        if (writes.incrementAndGet() % SWEEP_EVERY == 0) {
            db.query(c -> {
                try (PreparedStatement st = c.prepareStatement("DELETE FROM cached_answers WHERE expires_at_ms <= ?")) {
                    st.setLong(1, clock.millis());
                    return st.executeUpdate();
                }
            });
        }
    }
}
