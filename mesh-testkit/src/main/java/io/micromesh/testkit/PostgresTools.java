package io.micromesh.testkit;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The operating system's PostgreSQL programs, and how {@link PostgresServer} runs them: found once
 * per JVM, each run with a timeout, its output kept for the error message.
 *
 * <p>PostgreSQL's server programs ({@code initdb}, {@code pg_ctl}, {@code postgres}) refuse to run
 * as root, and CI runs as root: there they run as the {@code postgres} system user that Debian's
 * package creates, through {@code runuser} (or {@code su} where util-linux's runuser is missing).
 */
final class PostgresTools {

    private static final String SERVER_USER = "postgres";
    private static final Path DEBIAN_VERSIONS = Path.of("/usr/lib/postgresql");

    private final Path bin;
    private final boolean root;

    private PostgresTools(Path bin) {
        this.bin = bin;
        this.root = new UnixSystem().getUid() == 0;
    }

    /** The server's programs, or empty where PostgreSQL is not installed. */
    static Optional<PostgresTools> find() {
        return Installed.TOOLS;
    }

    /** Found on first use: {@code pg_config} costs a process start, and the answer does not change. */
    private static final class Installed {
        static final Optional<PostgresTools> TOOLS = fromPgConfig().or(PostgresTools::newestDebianVersion)
                .map(PostgresTools::new);
    }

    /**
     * The directory {@code pg_config --bindir} names, if it holds a server: libpq-dev's pg_config,
     * installed without a server, names one that holds only the clients.
     */
    private static Optional<Path> fromPgConfig() {
        try {
            String bindir = run(Duration.ofSeconds(10), null, List.of("pg_config", "--bindir")).strip();
            return Optional.of(Path.of(bindir)).filter(PostgresTools::holdsServer);
        } catch (RuntimeException e) {
            return Optional.empty(); // no pg_config on PATH, or a broken one
        }
    }

    /** Debian's layout: {@code /usr/lib/postgresql/VERSION/bin}, one folder per installed version. */
    private static Optional<Path> newestDebianVersion() {
        if (!Files.isDirectory(DEBIAN_VERSIONS)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(DEBIAN_VERSIONS)) {
            return versions.filter(v -> v.getFileName().toString().matches("\\d+(\\.\\d+)*"))
                    .map(v -> v.resolve("bin"))
                    .filter(PostgresTools::holdsServer)
                    .max(Comparator.comparing(b -> version(b.getParent()), Arrays::compare));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int[] version(Path folder) {
        return Arrays.stream(folder.getFileName().toString().split("\\.")).mapToInt(Integer::parseInt).toArray();
    }

    private static boolean holdsServer(Path bin) {
        return Files.isExecutable(bin.resolve("initdb")) && Files.isExecutable(bin.resolve("pg_ctl"));
    }

    /** A program of this installation, such as {@code psql}. */
    Path program(String name) {
        return bin.resolve(name);
    }

    /** A new empty folder in the temporary directory that the server's programs may write to. */
    Path newFolder() {
        try {
            Path folder = Files.createTempDirectory("mesh-postgres-");
            if (root) {
                Files.setOwner(folder, folder.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByName(SERVER_USER));
            }
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a folder for PostgreSQL owned by the user that runs it"
                    + (root ? " (" + SERVER_USER + ", since this JVM runs as root)" : ""), e);
        }
    }

    /** Runs a server program ({@code initdb}, {@code pg_ctl}) as a user it accepts, in {@code folder}. */
    String runServerProgram(Duration timeout, Path folder, String name, String... args) {
        List<String> program = withArgs(name, args);
        return run(timeout, folder, root ? asServerUser(program) : program);
    }

    private static List<String> asServerUser(List<String> program) {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/sbin/runuser")) || Files.isExecutable(Path.of("/sbin/runuser"))) {
            command.addAll(List.of("runuser", "-u", SERVER_USER, "--"));
            command.addAll(program);
        } else {
            command.addAll(List.of("su", SERVER_USER, "-s", "/bin/sh", "-c"));
            command.add(String.join(" ", program.stream().map(PostgresTools::shellQuoted).toList()));
        }
        return command;
    }

    /** Runs a client program ({@code createdb}, {@code psql}) as this JVM's user, in {@code folder}. */
    String runClient(Duration timeout, Path folder, String name, String... args) {
        return run(timeout, folder, withArgs(name, args));
    }

    private List<String> withArgs(String name, String... args) {
        List<String> command = new ArrayList<>();
        command.add(program(name).toString());
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Runs a command to its end and returns its output (stdout and stderr together), or throws with
     * that output when it fails or outlives {@code timeout}. The output goes to a file rather than a
     * pipe, so that a daemon the command leaves behind cannot keep us waiting for the pipe to close.
     * It runs in {@code folder} (null: this JVM's working directory); server programs get one their
     * user can enter, since they complain of one they cannot (root's home, say).
     */
    private static String run(Duration timeout, Path folder, List<String> command) {
        Path out = null;
        try {
            out = Files.createTempFile("mesh-postgres-", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).directory(folder == null ? null : folder.toFile())
                    .redirectErrorStream(true).redirectOutput(out.toFile());
            // a developer's PGHOST, PGPORT, PGDATA or PGOPTIONS must not steer a test's server
            builder.environment().keySet().removeIf(key -> key.startsWith("PG"));
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IllegalStateException("`" + shown(command) + "` did not end within "
                        + timeout.toSeconds() + " s; its output:\n" + Files.readString(out));
            }
            String output = Files.readString(out);
            if (process.exitValue() != 0) {
                throw new IllegalStateException("`" + shown(command) + "` failed with exit status "
                        + process.exitValue() + "; its output:\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run `" + shown(command) + "`", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running `" + shown(command) + "`", e);
        } finally {
            deleteQuietly(out);
        }
    }

    /** The command as one would type it into a shell, to be copied from an error message. */
    private static String shown(List<String> command) {
        return String.join(" ", command.stream().map(w -> w.matches("[\\w@%+=:,./-]+") ? w : shellQuoted(w)).toList());
    }

    private static String shellQuoted(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover file in the temporary directory harms nobody
            }
        }
    }
}
