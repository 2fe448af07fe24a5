package io.micromesh.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micromesh.core.outcomes.OutcomeStore;
import io.micromesh.testkit.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The outcome store on a real SQLite file: migrations, persistence across opens, refusal of a foreign file. */
class JdbcOutcomeStoreTest {

    @Test
    void outcomesAndCompletionsPersistAcrossOpens(@TempDir Path dir) {
        Path file = dir.resolve("state/mesh.db");
        OutcomeStore.Completion completion = new OutcomeStore.Completion("chatcmpl-1", "auto", "small", "a prompt");
        try (JdbcOutcomeStore store = JdbcOutcomeStore.open(file, new FakeClock())) {
            store.verdict("small", "p1", null, false, "refusal: sorry");
            store.verdict("big", "p1", null, true, "passed");
            store.remember(completion);
            store.feedback(completion, 0.25);
            store.feedback(completion, 0.75);  // replaces the first
        }
        try (JdbcOutcomeStore store = JdbcOutcomeStore.open(file, new FakeClock())) {
            assertThat(store.completion("chatcmpl-1")).contains(completion);
            assertThat(store.completion("chatcmpl-2")).isEmpty();
            assertThat(store.outcomes(List.of("small"))).containsExactly(
                    new OutcomeStore.Outcome("small", "p1", 0.0), new OutcomeStore.Outcome("small", "a prompt", 0.75));
            assertThat(store.outcomes(List.of("small", "big"))).hasSize(3);
            assertThat(store.outcomes(List.of("other"))).isEmpty();
            assertThatThrownBy(() -> store.feedback(completion, 1.5)).hasMessageContaining("from 0 to 1");
        }
    }

    @Test
    void theTaskOfARequestIsKeptWithItsCompletionAndItsOutcomes(@TempDir Path dir) {
        OutcomeStore.Completion completion = new OutcomeStore.Completion("chatcmpl-9", "auto", "small", "a contract", "legal");
        try (JdbcOutcomeStore store = JdbcOutcomeStore.open(dir.resolve("mesh.db"), new FakeClock())) {
            store.remember(completion);
            store.feedback(completion, 1.0);
            store.verdict("small", "another contract", "legal", false, "refusal");
            assertThat(store.completion("chatcmpl-9")).contains(completion);
            assertThat(store.outcomes(List.of("small"))).containsExactly(
                    new OutcomeStore.Outcome("small", "a contract", 1.0, "legal"),
                    new OutcomeStore.Outcome("small", "another contract", 0.0, "legal"));
        }
    }

    @Test
    void aFileThatIsNotADatabaseIsRefusedAndKept(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("mesh.db"), "this is not an SQLite file, and it is not ours to overwrite");
        assertThatThrownBy(() -> JdbcOutcomeStore.open(file, new FakeClock())).hasMessageContaining(file.toString());
        assertThat(Files.readString(file)).startsWith("this is not an SQLite file");
    }
}
