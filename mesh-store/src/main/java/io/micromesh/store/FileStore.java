package io.micromesh.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Files uploaded through the Files API: the bytes in a folder (one file per id, streamed to disk
 * and moved into place once whole, never held in memory), their description in the store's
 * {@code files} table. A file belongs to the key that uploaded it. Thread-safe.
 */
public final class FileStore {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Database db;
    private final Path folder;
    private final Clock clock;

    /**
     * A file as described.
     *
     * @param id       {@code file-} and 24 hex digits
     * @param keyId    the key that uploaded it
     * @param filename the name it was uploaded with
     * @param purpose  {@code batch}, or {@code batch_output}
     * @param bytes    its size
     * @param created  when it was uploaded
     */
    public record StoredFile(String id, String keyId, String filename, String purpose, long bytes, Instant created) {
    }

    /** The upload exceeded the size limit; nothing was kept. */
    public static final class TooLarge extends RuntimeException {
        TooLarge(long limit) {
            super("larger than " + limit + " bytes", null, false, false);
        }
    }

    public FileStore(Database db, Path folder, Clock clock) {
        this.db = db;
        this.folder = folder;
        this.clock = clock;
    }

    /**
     * Stores {@code content} (read to its end, at most {@code maxBytes}).
     *
     * @throws TooLarge when it holds more than {@code maxBytes}; nothing is kept
     * @throws UncheckedIOException when the disk fails
     */
    public StoredFile create(String keyId, String filename, String purpose, InputStream content, long maxBytes) {
        byte[] random = new byte[12];
        RANDOM.nextBytes(random);
        String id = "file-" + HexFormat.of().formatHex(random);
        Path target = folder.resolve(id);
        Path partial = folder.resolve(id + ".part");
        long bytes = 0;
        try {
            Files.createDirectories(folder);
            try (OutputStream out = Files.newOutputStream(partial)) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = content.read(buffer)) > 0) {
                    bytes += n;
                    if (bytes > maxBytes) {
                        throw new TooLarge(maxBytes);
                    }
                    out.write(buffer, 0, n);
                }
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            delete(partial);
            throw new UncheckedIOException("cannot store an upload in " + folder + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            delete(partial);
            throw e;
        }
        StoredFile file = new StoredFile(id, keyId, filename, purpose, bytes, Instant.ofEpochMilli(clock.millis()));
        try {
            insert(file);
        } catch (StoreException e) {
            delete(target);
            throw e;
        }
        return file;
    }

    /**
     * Stores a file the gateway wrote (a batch's output) under an id its writer chose, moving
     * {@code written} into place. Idempotent: when a file with this id is already stored, it is kept
     * and {@code written} deleted, so that a batch finalized twice (after a kill) has one output file.
     *
     * @throws UncheckedIOException when the disk fails
     */
    public StoredFile put(String id, String keyId, String filename, String purpose, Path written) {
        Optional<StoredFile> existing = get(id);
        if (existing.isPresent()) {
            delete(written);
            return existing.get();
        }
        long bytes;
        try {
            Files.createDirectories(folder);
            bytes = Files.size(written);
            Files.move(written, folder.resolve(id), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store " + written + " in " + folder + ": " + e.getMessage(), e);
        }
        StoredFile file = new StoredFile(id, keyId, filename, purpose, bytes, Instant.ofEpochMilli(clock.millis()));
        insert(file);
        return file;
    }

    private void insert(StoredFile file) {
        db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("INSERT INTO files (id, key_id, filename, purpose, bytes, created_ms)"
                    + " VALUES (?, ?, ?, ?, ?, ?)")) {
                st.setString(1, file.id());
                st.setString(2, file.keyId());
                st.setString(3, file.filename());
                st.setString(4, file.purpose());
                st.setLong(5, file.bytes());
                st.setLong(6, file.created().toEpochMilli());
                return st.executeUpdate();
            }
        });
    }

    /** The live files, newest first; of one key, or everyone's. */
    public List<StoredFile> list(Optional<String> keyId) {
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT id, key_id, filename, purpose, bytes, created_ms FROM files"
                    + " WHERE deleted_ms IS NULL" + (keyId.isPresent() ? " AND key_id = ?" : "") + " ORDER BY created_ms DESC, id")) {
                if (keyId.isPresent()) {
                    st.setString(1, keyId.get());
                }
                List<StoredFile> files = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        files.add(read(rs));
                    }
                }
                return files;
            }
        });
    }

    /** The live file with this id. */
    public Optional<StoredFile> get(String id) {
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT id, key_id, filename, purpose, bytes, created_ms FROM files"
                    + " WHERE id = ? AND deleted_ms IS NULL")) {
                st.setString(1, id);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    /** The bytes of a file described by {@link #get}. */
    public Path content(StoredFile file) {
        return folder.resolve(file.id());
    }

    /** Deletes a file: its row is marked, then its bytes are removed. */
    public boolean delete(StoredFile file) {
        int marked = db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE files SET deleted_ms = ? WHERE id = ? AND deleted_ms IS NULL")) {
                st.setLong(1, clock.millis());
                st.setString(2, file.id());
                return st.executeUpdate();
            }
        });
        delete(folder.resolve(file.id()));
        return marked == 1;
    }

    private static StoredFile read(ResultSet rs) throws SQLException {
        return new StoredFile(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                Instant.ofEpochMilli(rs.getLong(6)));
    }

    private static void delete(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a leftover file is garbage in the folder, not a failure of the request
        }
    }
}
