package io.micromesh.engines.pull;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Downloads model files into a folder: from Hugging Face ({@code hf://OWNER/REPO/FILE}, or
 * {@code hf://OWNER/REPO@REVISION/FILE}) or any {@code https://} or {@code http://} URL.
 *
 * <p>A pull writes {@code DIR/FILE.part}, checks its SHA-256 when one is known (given by the caller,
 * or announced by Hugging Face for files stored in LFS), then renames it to {@code DIR/FILE} in one
 * step, so a file at its final name is always complete. An interrupted pull leaves the part behind
 * and the next pull of the same source resumes it with an HTTP {@code Range} request. A file that
 * fails its checksum is kept aside as {@code DIR/FILE.bad-HASHPREFIX}, never at its final name.
 *
 * <p>Instances are immutable and thread-safe; two pulls of the same file at once are refused by a
 * lock on the part file. Each pull opens its own HTTP client and closes it before returning.
 */
public final class ModelPull {

    /** Hugging Face, where {@code hf://} sources are fetched unless {@code MESH_HF_ENDPOINT} says otherwise. */
    public static final URI DEFAULT_HUB = URI.create("https://huggingface.co");

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

    private final URI hub;
    private final String token;

    private ModelPull(URI hub, String token) {
        this.hub = hub;
        this.token = token;
    }

    /** Configured from this process's environment: see {@link #fromEnvironment(Map)}. */
    public static ModelPull withSystemEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * Configured from environment variables: {@code MESH_HF_ENDPOINT}, the base URL that
     * {@code hf://} sources map to (default {@link #DEFAULT_HUB}, like Hugging Face's own
     * {@code HF_ENDPOINT}); and {@code HF_TOKEN}, a token sent as {@code Authorization: Bearer} to
     * that endpoint only, for gated and private repositories.
     *
     * @throws PullException when {@code MESH_HF_ENDPOINT} is not an {@code http(s)://} URL
     */
    public static ModelPull fromEnvironment(Map<String, String> environment) {
        String endpoint = environment.getOrDefault("MESH_HF_ENDPOINT", "").strip();
        String token = environment.getOrDefault("HF_TOKEN", "").strip();
        return new ModelPull(endpoint.isEmpty() ? DEFAULT_HUB : endpoint(endpoint), token.isEmpty() ? null : token);
    }

    private static URI endpoint(String text) {
        String trimmed = text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
        try {
            URI uri = URI.create(trimmed);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null && uri.getQuery() == null) {
                return uri;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new PullException("MESH_HF_ENDPOINT: '" + text + "' is not an http:// or https:// URL", false);
    }

    /**
     * The name of the local file that a source is saved under: the last segment of its path, for
     * example {@code granite-3.3-2b-instruct-Q4_K_M.gguf} for
     * {@code hf://ibm-granite/granite-3.3-2b-instruct-GGUF/granite-3.3-2b-instruct-Q4_K_M.gguf}.
     *
     * @throws PullException when the source is not {@code hf://}, {@code https://} or {@code http://},
     *                       or does not end in a file name
     */
    public static String fileName(String source) {
        return PullSource.parse(source, DEFAULT_HUB).fileName();
    }

    /**
     * Pulls {@code source} into {@code modelsDir} (created when missing), checking its SHA-256
     * when the source announces one. Returns at once when the file is already there.
     *
     * @param progress told of the bytes as they arrive, from the calling thread
     * @throws PullException with a one-line message; {@link PullException#retriable()} says whether
     *                       trying again later may help
     */
    public PullResult pull(String source, Path modelsDir, ProgressListener progress) {
        return pull(PullSource.parse(source, hub), modelsDir, null, progress);
    }

    /**
     * Pulls {@code source} into {@code modelsDir} and checks that its SHA-256 is {@code sha256}
     * (64 hex digits, either case), and also the one the source announces, if any. A file already
     * at its final name is checked too, and refused (left as it is) when it differs.
     *
     * @throws PullException as {@link #pull(String, Path, ProgressListener)} does, and when
     *                       {@code sha256} is not 64 hex digits
     */
    public PullResult pull(String source, Path modelsDir, String sha256, ProgressListener progress) {
        String expected = sha256.strip().toLowerCase(Locale.ROOT);
        if (!SHA256.matcher(expected).matches()) {
            throw new PullException("'" + sha256 + "' is not a SHA-256 digest (64 hexadecimal digits)", false);
        }
        return pull(PullSource.parse(source, hub), modelsDir, expected, progress);
    }

    private PullResult pull(PullSource source, Path modelsDir, String expected, ProgressListener progress) {
        Path target = modelsDir.resolve(source.fileName());
        if (Files.exists(target)) {
            return alreadyPresent(target, expected);
        }
        createDirectories(modelsDir);
        Path part = modelsDir.resolve(source.fileName() + ".part");
        Download.Fetched fetched;
        HttpClient client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)  // followed by hand: see Download
                .connectTimeout(CONNECT_TIMEOUT)
                .version(HttpClient.Version.HTTP_1_1)
                // no .proxy(...): the JDK's default selector, which uses a proxy only when the
                // https.proxyHost / http.proxyHost system properties name one, and never for loopback
                .build();
        boolean locked = false;
        try (FileChannel channel = openPart(part); FileLock lock = lock(channel, part)) {
            locked = lock.isValid();
            fetched = new Download(client, source, hub, token, part, progress).into(channel);
            channel.force(true);
        } catch (IOException e) {
            throw new PullException("cannot write " + part + ": " + Failures.reason(e), false, e);
        } catch (PullException e) {
            if (locked) {
                deleteIfEmpty(part);
            }
            throw e;
        } finally {
            client.shutdownNow();
        }
        String verifiedBy = verify(source, part, fetched, expected);
        move(part, target);
        return new PullResult.Downloaded(target, fetched.bytes(), fetched.resumedFrom(), fetched.sha256(), verifiedBy);
    }

    private static PullResult alreadyPresent(Path target, String expected) {
        if (expected == null) {
            return new PullResult.AlreadyPresent(target, false);
        }
        String actual = sha256Of(target);
        if (!actual.equals(expected)) {
            throw new PullException(target + " is already there but its SHA-256 is " + actual + ", not " + expected
                    + "; move it away to download it again", false);
        }
        return new PullResult.AlreadyPresent(target, true);
    }

    /** Checks the digest against those expected; on a mismatch keeps the part aside and refuses. */
    private static String verify(PullSource source, Path part, Download.Fetched fetched, String expected) {
        List<String> by = new ArrayList<>();
        checkDigest(source, part, fetched.sha256(), expected, "--sha256", by);
        checkDigest(source, part, fetched.sha256(), fetched.linkedSha256(), "x-linked-etag", by);
        return String.join(" and ", by);
    }

    private static void checkDigest(PullSource source, Path part, String actual, String expected, String origin,
            List<String> by) {
        if (expected == null) {
            return;
        }
        if (!expected.equals(actual)) {
            Path bad = part.resolveSibling(source.fileName() + ".bad-" + actual.substring(0, 12));
            try {
                Files.move(part, bad, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new PullException("checksum mismatch for " + source.fileName() + ": expected SHA-256 " + expected
                        + " (" + origin + "), got " + actual + "; it is left in " + part + " (renaming it failed: "
                        + Failures.reason(e) + ")", false, e);
            }
            throw new PullException("checksum mismatch for " + source.fileName() + ": expected SHA-256 " + expected
                    + " (" + origin + "), got " + actual + "; the download is kept aside as " + bad
                    + "; delete it and pull again", false);
        }
        by.add(origin);
    }

    private static void move(Path part, Path target) {
        try {
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, target);
            }
        } catch (IOException e) {
            throw new PullException("cannot rename " + part + " to " + target + ": " + Failures.reason(e), false, e);
        }
    }

    private static FileChannel openPart(Path part) {
        try {
            return FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new PullException("cannot write " + part + ": " + Failures.reason(e), false, e);
        }
    }

    private static FileLock lock(FileChannel channel, Path part) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new PullException("another pull is writing " + part + "; wait for it to finish", true);
        }
        return lock;
    }

    /** A part that received nothing (the request was refused) is not worth leaving behind. */
    private static void deleteIfEmpty(Path part) {
        try {
            if (Files.size(part) == 0) {
                Files.delete(part);
            }
        } catch (IOException ignored) {
            // it stays; the next pull reuses it
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new PullException("cannot create the folder " + dir + ": " + Failures.reason(e), false, e);
        }
    }

    private static String sha256Of(Path file) {
        MessageDigest digest = Download.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new PullException("cannot read " + file + ": " + Failures.reason(e), false, e);
        }
        return Download.hex(digest);
    }
}
