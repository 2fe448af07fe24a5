package io.micromesh.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micromesh.core.accounting.Grant;
import io.micromesh.core.accounting.Period;
import io.micromesh.testkit.FakeClock;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** API keys on a real SQLite file and a real PostgreSQL: secrets hashed, grants kept, revocation seen everywhere. */
@Timeout(120)
class KeyStoreTest {

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aKeyIsShownOnceKeptAsAHashAndAuthenticates(String kind) throws Exception {
        try (Database db = StoreFixture.fresh(kind, dir)) {
            KeyStore keys = new KeyStore(db, clock);
            Grant grant = new Grant(Set.of("small", "auto"), 5.0, 200.0, Period.MONTH, 600L, 200_000L, 16L);
            KeyStore.Issued issued = keys.create("team-a", grant);
            assertThat(issued.secret()).startsWith("sk-mesh-").hasSize("sk-mesh-".length() + 43);
            assertThat(issued.key().id()).matches("key_[0-9a-f]{16}");
            assertThat(keys.authenticate(issued.secret())).hasValueSatisfying(key -> {
                assertThat(key.id()).isEqualTo(issued.key().id());
                assertThat(key.grant()).isEqualTo(grant);
            });
            assertThat(keys.authenticate(issued.secret() + "x")).isEmpty();
            assertThat(keys.authenticate("not-a-key")).isEmpty();
            db.query(c -> {
                try (PreparedStatement st = c.prepareStatement("SELECT * FROM api_keys"); ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        for (int col = 1; col <= rs.getMetaData().getColumnCount(); col++) {
                            assertThat(String.valueOf(rs.getObject(col))).as("no column holds the secret")
                                    .doesNotContain(issued.secret().substring("sk-mesh-".length()));
                        }
                    }
                }
                return null;
            });
        }
    }

    @Test
    void aKeyRevokedOnOneInstanceIsRefusedByTheOtherAtOnce() throws Exception {
        try (Database first = StoreFixture.fresh("postgresql", dir); Database second = StoreFixture.secondInstance(dir)) {
            KeyStore one = new KeyStore(first, clock);
            KeyStore other = new KeyStore(second, clock);
            KeyStore.Issued issued = one.create("agent", Grant.UNLIMITED);
            assertThat(other.authenticate(issued.secret())).isPresent();
            assertThat(one.revoke(issued.key().id())).hasValueSatisfying(key -> assertThat(key.revoked()).isPresent());
            assertThat(other.authenticate(issued.secret())).isEmpty();
            assertThat(other.list()).singleElement().satisfies(key -> assertThat(key.revoked()).isPresent());
            assertThat(one.revoke("key_0000000000000000")).isEmpty();
        }
    }

    @Test
    void withTheStoreDownAKeySeenWorkingStillAuthenticatesAndAnUnknownOneCannot() throws Exception {
        try (Database db = StoreFixture.fresh("postgresql", dir)) {
            KeyStore keys = new KeyStore(db, clock);
            KeyStore.Issued seen = keys.create("seen", Grant.UNLIMITED);
            KeyStore.Issued unseen = keys.create("unseen", Grant.UNLIMITED);
            assertThat(keys.authenticate(seen.secret())).isPresent();
            StoreFixture.postgres().stop();
            try {
                assertThat(keys.authenticate(seen.secret())).isPresent();
                assertThatThrownBy(() -> keys.authenticate(unseen.secret())).isInstanceOf(StoreException.class);
            } finally {
                StoreFixture.postgres().restart();
            }
        }
    }
}
