package io.micromesh.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.micromesh.api.Json;
import io.micromesh.core.accounting.Grant;
import io.micromesh.core.accounting.Period;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's API keys, in its store ({@code api_keys}): created with a grant (models, budget,
 * limits), listed, revoked. A key's secret ({@code sk-mesh-} and 43 characters of a random 256-bit
 * value) is shown once, when it is created, and kept only as its SHA-256: a random secret that
 * long needs no slow hash, and a lookup by hash reveals nothing about other secrets through its
 * timing. Every authentication reads the store, so that a key revoked on one instance is refused
 * by all at once; when the store cannot be read, the key's last known record answers, so that keys
 * without budgets keep working (budgeted ones then fail closed when their budget is reserved).
 * Thread-safe.
 */
public final class KeyStore {

    /** Every secret starts so, which lets scanners recognise a leaked one. */
    public static final String SECRET_PREFIX = "sk-mesh-";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String COLUMNS = "id, name, prefix, budget_usd, budget_wh, budget_period, rpm, tpm, concurrency,"
            + " models, created_ms, revoked_ms";

    private final Database db;
    private final Clock clock;
    private final Map<String, ApiKey> lastKnown = new ConcurrentHashMap<>();

    /**
     * A key as stored, without its secret.
     *
     * @param id      its id ({@code key_} and 16 hex digits), as the ledger names it
     * @param name    the name it was given
     * @param prefix  the start of its secret, to recognise it
     * @param grant   what it may use
     * @param created when it was created
     * @param revoked when it was revoked, empty while it works
     */
    public record ApiKey(String id, String name, String prefix, Grant grant, Instant created, Optional<Instant> revoked) {
    }

    /** A key just created, with its secret: the only time the secret is seen. */
    public record Issued(ApiKey key, String secret) {
    }

    public KeyStore(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /**
     * Creates a key.
     *
     * @throws StoreException when the store fails
     */
    public Issued create(String name, Grant grant) {
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String secret = SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        byte[] idBytes = new byte[8];
        RANDOM.nextBytes(idBytes);
        ApiKey key = new ApiKey("key_" + HexFormat.of().formatHex(idBytes), name, secret.substring(0, SECRET_PREFIX.length() + 4),
                grant, Instant.ofEpochMilli(clock.millis()), Optional.empty());
        db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("INSERT INTO api_keys (id, name, secret_sha256, prefix, budget_usd,"
                    + " budget_wh, budget_period, rpm, tpm, concurrency, models, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                st.setString(1, key.id());
                st.setString(2, key.name());
                st.setString(3, sha256(secret));
                st.setString(4, key.prefix());
                setDouble(st, 5, grant.budgetUsd());
                setDouble(st, 6, grant.budgetWh());
                st.setString(7, grant.period().key());
                setLong(st, 8, grant.rpm());
                setLong(st, 9, grant.tpm());
                setLong(st, 10, grant.concurrency());
                st.setString(11, grant.models().isEmpty() ? null : models(grant.models()));
                st.setLong(12, key.created().toEpochMilli());
                return st.executeUpdate();
            }
        });
        return new Issued(key, secret);
    }

    /** Every key, revoked ones too, oldest first. */
    public List<ApiKey> list() {
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT " + COLUMNS + " FROM api_keys ORDER BY created_ms, id");
                 ResultSet rs = st.executeQuery()) {
                List<ApiKey> keys = new ArrayList<>();
                while (rs.next()) {
                    keys.add(read(rs));
                }
                return keys;
            }
        });
    }

    /** The key with this id, revoked or not. */
    public Optional<ApiKey> get(String id) {
        return one("SELECT " + COLUMNS + " FROM api_keys WHERE id = ?", id);
    }

    /**
     * Revokes a key: from now on every instance refuses it.
     *
     * @return the key as revoked, or empty when there is no such key
     */
    public Optional<ApiKey> revoke(String id) {
        db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL")) {
                st.setLong(1, clock.millis());
                st.setString(2, id);
                return st.executeUpdate();
            }
        });
        lastKnown.values().removeIf(key -> key.id().equals(id));
        return get(id);
    }

    /**
     * The live key whose secret this is.
     *
     * @return empty when no key has this secret or it is revoked
     * @throws StoreException when the store cannot be read and this secret was never seen working
     */
    public Optional<ApiKey> authenticate(String secret) {
        if (!secret.startsWith(SECRET_PREFIX)) {
            return Optional.empty();
        }
        String hash = sha256(secret);
        Optional<ApiKey> key;
        try {
            key = one("SELECT " + COLUMNS + " FROM api_keys WHERE secret_sha256 = ?", hash);
        } catch (StoreException e) {
            ApiKey known = lastKnown.get(hash);
            if (known == null) {
                throw e;
            }
            return Optional.of(known);
        }
        Optional<ApiKey> live = key.filter(k -> k.revoked().isEmpty());
        live.ifPresentOrElse(k -> lastKnown.put(hash, k), () -> lastKnown.remove(hash));
        return live;
    }

    private Optional<ApiKey> one(String sql, String value) {
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement(sql)) {
                st.setString(1, value);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    private static ApiKey read(ResultSet rs) throws SQLException {
        Set<String> models = new HashSet<>();
        String list = rs.getString("models");
        if (list != null) {
            try {
                for (JsonNode model : Json.mapper().readTree(list)) {
                    models.add(model.asText());
                }
            } catch (java.io.IOException e) {
                throw new SQLException("api_keys.models of " + rs.getString("id") + " is not a JSON list", e);
            }
        }
        Grant grant = new Grant(models, doubleOrNull(rs, "budget_usd"), doubleOrNull(rs, "budget_wh"),
                Period.of(rs.getString("budget_period")).orElse(Period.DAY), longOrNull(rs, "rpm"), longOrNull(rs, "tpm"),
                longOrNull(rs, "concurrency"));
        long revoked = rs.getLong("revoked_ms");
        Optional<Instant> revokedAt = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(revoked));
        return new ApiKey(rs.getString("id"), rs.getString("name"), rs.getString("prefix"), grant,
                Instant.ofEpochMilli(rs.getLong("created_ms")), revokedAt);
    }

    private static String models(Set<String> models) {
        ArrayNode list = Json.mapper().createArrayNode();
        models.stream().sorted().forEach(list::add);
        return list.toString();
    }

    /** The SHA-256 of a secret, in hex. */
    static String sha256(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static Double doubleOrNull(ResultSet rs, String column) throws SQLException {
        double value = rs.getDouble(column);
        return rs.wasNull() ? null : value;
    }

    private static Long longOrNull(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    private static void setDouble(PreparedStatement st, int index, Double value) throws SQLException {
        if (value == null) {
            st.setNull(index, Types.DOUBLE);
        } else {
            st.setDouble(index, value);
        }
    }

    private static void setLong(PreparedStatement st, int index, Long value) throws SQLException {
        if (value == null) {
            st.setNull(index, Types.BIGINT);
        } else {
            st.setLong(index, value);
        }
    }
}
