package io.micromesh.engines.vosk;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Vosk's small English model, which ships inside this jar (copied at build time from
 * {@code com.alphacephei:vosk-model-en}, an Android archive on Maven Central): Vosk reads a model
 * from a folder, so it is unpacked once into a cache folder, through a temporary folder renamed into
 * place, so that two processes unpacking at once never see half a model.
 */
public final class VoskModelFiles {

    /** The model's version, part of its folder's name. */
    public static final String ENGLISH_VERSION = "0.3.45";

    private static final String RESOURCE = "/io/micromesh/engines/vosk/vosk-model-en.aar";
    private static final String PREFIX = "assets/model-en-us/";

    private VoskModelFiles() {
    }

    /**
     * The folder of the English model under {@code cache}, unpacked there first if needed.
     *
     * @throws UncheckedIOException when the folder cannot be written
     */
    public static Path english(Path cache) {
        Path folder = cache.resolve("vosk-model-en-" + ENGLISH_VERSION);
        if (Files.isRegularFile(folder.resolve("am/final.mdl")) && Files.isRegularFile(folder.resolve("uuid"))) {
            return folder;
        }
        try {
            Files.createDirectories(cache);
            Path partial = Files.createTempDirectory(cache, "vosk-model-en-");
            try (InputStream aar = VoskModelFiles.class.getResourceAsStream(RESOURCE)) {
                if (aar == null) {
                    throw new IllegalStateException(RESOURCE + " is not on the class path (mesh-engines was built without it)");
                }
                unpack(aar, partial);
            }
            try {
                Files.move(partial, folder, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                // another process unpacked it meanwhile: keep theirs
                delete(partial);
            }
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack the Vosk English model into " + cache + ": " + e.getMessage(), e);
        }
    }

    /** The default cache: {@code $MESH_CACHE_DIR}, else {@code $XDG_CACHE_HOME/micromesh}, else {@code ~/.cache/micromesh}. */
    public static Path defaultCache() {
        String mesh = System.getenv("MESH_CACHE_DIR");
        if (mesh != null && !mesh.isBlank()) {
            return Path.of(mesh);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("micromesh");
    }

    private static void unpack(InputStream aar, Path into) throws IOException {
        try (ZipInputStream zip = new ZipInputStream(aar)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                if (!entry.getName().startsWith(PREFIX) || entry.isDirectory()) {
                    continue;
                }
                Path target = into.resolve(entry.getName().substring(PREFIX.length())).normalize();
                if (!target.startsWith(into)) {
                    throw new IOException("the model archive names a path outside its folder: " + entry.getName());
                }
                Files.createDirectories(target.getParent());
                Files.copy(zip, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void delete(Path folder) throws IOException {
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
