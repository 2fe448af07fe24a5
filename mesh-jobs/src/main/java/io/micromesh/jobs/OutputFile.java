package io.micromesh.jobs;

import io.micromesh.store.Journal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** A job's output: every item's line in input order, written whole or not at all. */
public final class OutputFile {

    private OutputFile() {
    }

    /**
     * Writes each item's result, one per line, to a temporary file, then renames it over {@code out}:
     * a reader never sees a partial or repeated line.
     *
     * @throws UncheckedIOException when the disk fails
     */
    public static void write(Path out, List<Journal.Item> items) {
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            try (var w = Files.newBufferedWriter(tmp)) {
                for (Journal.Item item : items) {
                    w.write(item.result());
                    w.write('\n');
                }
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }
}
