package io.micromesh.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micromesh.store.Journal;
import io.micromesh.testkit.FakeClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GroupWriterTest {

    @TempDir
    Path dir;

    private Journal journal(int items) {
        Journal journal = Journal.open(dir.resolve("job.journal"), "in.jsonl", "sha", null, false, new FakeClock());
        List<Journal.Item> pending = new ArrayList<>();
        for (int line = 1; line <= items; line++) {
            pending.add(new Journal.Item(line, "item-" + line, false, null));
        }
        journal.register(pending);
        return journal;
    }

    @ParameterizedTest(name = "{0} workers")
    @ValueSource(ints = {1, 64})
    void aResultIsJournaledWhenAddReturnsWhateverTheConcurrency(int concurrency) throws Exception {
        try (Journal journal = journal(200)) {
            ConcurrentLinkedQueue<Integer> seenDone = new ConcurrentLinkedQueue<>();
            try (GroupWriter writer = new GroupWriter(journal, concurrency);
                 ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int line = 1; line <= 200; line++) {
                    int l = line;
                    workers.submit(() -> {
                        writer.add(new Journal.Completion(l, "{\"line\":" + l + "}", 1, 0.001, 0.002), 20_000_000L);  // items of 20 ms: a 1 ms linger
                        // once add returns, the result is committed: a kill now would not lose it
                        if (journal.items().get(l - 1).done()) {
                            seenDone.add(l);
                        }
                    });
                }
            }
            assertThat(seenDone).hasSize(200);
            assertThat(journal.items()).allMatch(Journal.Item::done);
            assertThat(journal.spent().costUsd()).isCloseTo(0.2, org.assertj.core.data.Offset.offset(1e-9));
        }
    }

    @Test
    void aJournalThatFailsFailsEveryWaitingResult() {
        Journal journal = journal(2);
        journal.close();
        GroupWriter writer = new GroupWriter(journal, 64);
        assertThatThrownBy(() -> writer.add(new Journal.Completion(1, "{}", 1, 0, 0)))
                .hasRootCauseInstanceOf(Journal.JournalException.class);
        assertThatThrownBy(writer::close).isInstanceOf(Journal.JournalException.class);
    }
}
