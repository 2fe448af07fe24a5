package io.micromesh.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.Optional;

/**
 * Stored responses of the Responses API: each as answered, and the conversation it ends (so that a
 * request with {@code previous_response_id} continues it). A response is its key's only. Thread-safe.
 */
public final class ResponseStore {

    /** A stored response: its JSON, and its conversation's items as a JSON array. */
    public record Stored(String id, String keyId, String response, String conversation) {
    }

    private final Database db;
    private final Clock clock;

    public ResponseStore(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    public void put(String id, String keyId, String response, String conversation) {
        db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("INSERT INTO responses (id, key_id, created_ms, response, conversation)"
                    + " VALUES (?, ?, ?, ?, ?)")) {
                st.setString(1, id);
                st.setString(2, keyId);
                st.setLong(3, clock.millis());
                st.setString(4, response);
                st.setString(5, conversation);
                return st.executeUpdate();
            }
        });
    }

    public Optional<Stored> get(String id) {
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT id, key_id, response, conversation FROM responses WHERE id = ?")) {
                st.setString(1, id);
                try (ResultSet r = st.executeQuery()) {
                    return r.next() ? Optional.of(new Stored(r.getString(1), r.getString(2), r.getString(3), r.getString(4)))
                            : Optional.<Stored>empty();
                }
            }
        });
    }

    /** @return whether there was one */
    public boolean delete(String id) {
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("DELETE FROM responses WHERE id = ?")) {
                st.setString(1, id);
                return st.executeUpdate() == 1;
            }
        });
    }
}
