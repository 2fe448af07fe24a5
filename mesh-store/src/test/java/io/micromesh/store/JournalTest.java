package io.micromesh.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micromesh.testkit.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A batch job's journal on a real SQLite file: what it keeps across opens, and what it refuses. */
class JournalTest {

    @TempDir
    Path dir;
    private final FakeClock clock = new FakeClock();

    private Journal open(boolean resume) {
        return Journal.open(dir.resolve("out.jsonl.journal"), "in.jsonl", "sha-1", null, resume, clock);
    }

    @Test
    void resultsCountOnceAndSurviveAReopen() {
        try (Journal journal = open(false)) {
            journal.register(List.of(new Journal.Item(1, "a", false, null), new Journal.Item(2, "b", false, null),
                    new Journal.Item(3, "c", true, "{\"error\":\"bad line\"}")));
            clock.advance(Duration.ofSeconds(5));
            journal.completeAll(List.of(new Journal.Completion(1, "{\"answer\":1}", 2, 0.25, 0.5)));
            // a second completion of the same line (a request repeated after a crash) does not replace the first
            journal.complete(1, "{\"answer\":\"again\"}", 1, 9, 9);
        }
        try (Journal journal = open(true)) {
            // registering the same input again keeps what is journaled
            journal.register(List.of(new Journal.Item(1, "a", false, null), new Journal.Item(2, "b", false, null),
                    new Journal.Item(3, "c", true, "{\"error\":\"bad line\"}")));
            List<Journal.Item> items = journal.items();
            assertThat(items).extracting(Journal.Item::line).containsExactly(1, 2, 3);
            assertThat(items.get(0).done()).isTrue();
            assertThat(items.get(0).result()).isEqualTo("{\"answer\":1}");
            assertThat(items.get(0).updatedMs()).isEqualTo(clock.millis());
            assertThat(items.get(1).done()).isFalse();
            assertThat(items.get(2).result()).contains("bad line");
            assertThat(journal.spent()).isEqualTo(new Journal.Spent(0.25, 0.5));
        }
    }

    @Test
    void anExistingJournalNeedsResumeAndTheSameInput() {
        open(false).close();
        assertThatThrownBy(() -> open(false)).isInstanceOf(Journal.JournalException.class).hasMessageContaining("--resume");
        assertThatThrownBy(() -> Journal.open(dir.resolve("out.jsonl.journal"), "in.jsonl", "sha-2", null, true, clock))
                .hasMessageContaining("belongs to another input");
        assertThatThrownBy(() -> Journal.open(dir.resolve("out.jsonl.journal"), "in.jsonl", "sha-1", "summarize", true, clock))
                .hasMessageContaining("belongs to task null");
    }

    @Test
    void aFileThatIsNotAJournalIsLeftAlone() throws Exception {
        Path file = Files.writeString(dir.resolve("out.jsonl.journal"), "notes of mine");
        assertThatThrownBy(() -> Journal.open(file, "in.jsonl", "sha-1", null, true, clock))
                .hasMessageContaining("not a journal");
        assertThat(Files.readString(file)).isEqualTo("notes of mine");
    }
}
