package io.micromesh.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for tests: a new cluster in a temporary folder, run from the
 * operating system's PostgreSQL programs (Debian's {@code postgresql} package; {@code .ci/run}
 * installs it), listening on an ephemeral loopback port, with trust authentication, a user {@code
 * mesh} and an empty database {@code mesh}. Tests that need it skip where {@link #available()} is
 * false.
 *
 * <p>The server is another process: it lives from {@link #start()} to {@link #close()}, which stops
 * it and deletes its files (a shutdown hook does both for a test that never closes it, since a
 * forgotten server would outlive the JVM). {@link #stop()} and {@link #restart()} take the store
 * away and give it back, for tests of what the gateway does meanwhile. Durability is traded for
 * speed ({@code fsync=off}); a stop is a crash ({@code immediate}), which PostgreSQL recovers from
 * at the next start. Thread-safe: the methods that start or stop the server take turns.
 */
public final class PostgresServer implements AutoCloseable {

    private static final String USER = "mesh";
    private static final String DATABASE = "mesh";
    /** Attempts at a free port: another process may take the one chosen before the server binds it. */
    private static final int PORT_ATTEMPTS = 5;
    private static final Duration INITDB_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

    private final PostgresTools tools;
    private final Path folder;
    private final Thread cleanup = Thread.ofPlatform().name("postgres-cleanup").unstarted(this::forget);
    private int port;
    private boolean closed;

    private PostgresServer(PostgresTools tools, Path folder) {
        this.tools = tools;
        this.folder = folder;
    }

    /** Whether PostgreSQL's server programs are installed, so that {@link #start()} can work. */
    public static boolean available() {
        return PostgresTools.find().isPresent();
    }

    /**
     * Makes a cluster and starts it on a free loopback port, with a database {@code mesh} (0.6 to 2 s
     * on a development machine, most of it initdb). Throws, with the failing command's output, when a
     * step fails or outlives its timeout; nothing is left running then.
     */
    public static PostgresServer start() {
        PostgresTools tools = PostgresTools.find().orElseThrow(() -> new IllegalStateException(
                "PostgreSQL's server programs are not installed: neither `pg_config --bindir` nor"
                        + " /usr/lib/postgresql/*/bin names a folder with initdb (apt-get install postgresql)"));
        PostgresServer server = new PostgresServer(tools, tools.newFolder());
        Runtime.getRuntime().addShutdownHook(server.cleanup);
        try {
            server.initialize();
            return server;
        } catch (RuntimeException e) {
            try {
                server.close();
            } catch (RuntimeException cleanupFailure) {
                e.addSuppressed(cleanupFailure);
            }
            throw e;
        }
    }

    private synchronized void initialize() {
        tools.runServerProgram(INITDB_TIMEOUT, folder, "initdb", "-D", data().toString(),
                "-A", "trust", "-U", USER, "--encoding=UTF8", "--locale=C");
        startOnFreePort();
        tools.runClient(CLIENT_TIMEOUT, folder, "createdb", "-h", "127.0.0.1", "-p", String.valueOf(port),
                "-U", USER, DATABASE);
    }

    private void startOnFreePort() {
        for (int attempt = 1; ; attempt++) {
            port = freePort();
            try {
                startServer();
                return;
            } catch (IllegalStateException e) {
                // the server logs in English whatever the JVM's locale: its cluster's locale is C
                if (attempt == PORT_ATTEMPTS || !e.getMessage().contains("Address already in use")) {
                    throw e;
                }
            }
        }
    }

    /** Starts the server on {@link #port}; a failure's message carries what the server logged. */
    private void startServer() {
        String options = "-p " + port + " -k " + folder + " -c listen_addresses=127.0.0.1 -c fsync=off"
                + " -c max_connections=200";
        long logged = sizeOf(log());
        try {
            tools.runServerProgram(START_TIMEOUT, folder, "pg_ctl", "-D", data().toString(), "-l", log().toString(),
                    "-o", options, "-w", "-t", waitSeconds(START_TIMEOUT), "start");
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "\nThe server's log:\n" + logSince(log(), logged), e);
        }
    }

    /**
     * How long pg_ctl itself waits ({@code -t}): less than the timeout of its process, so that a slow
     * server gets pg_ctl's own account of it ("server did not start in time") rather than a kill.
     */
    private static String waitSeconds(Duration timeout) {
        return String.valueOf(timeout.toSeconds() - 10);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free loopback port", e);
        }
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/mesh}. */
    public synchronized String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    /** {@code mesh}, the cluster's superuser. */
    public String user() {
        return USER;
    }

    /** Empty: the server trusts every local connection. */
    public String password() {
        return "";
    }

    /** The loopback port, the same across {@link #stop()} and {@link #restart()}. */
    public synchronized int port() {
        return port;
    }

    /**
     * Stops the server at once, as a crash would ({@code pg_ctl -m immediate}): the port refuses
     * connections when this returns. Nothing happens if it is stopped already.
     */
    public synchronized void stop() {
        // the server's pid file, rather than a flag, says whether it runs: a start that timed out may
        // still have left a server behind, and close() must stop that one too
        if (Files.exists(data().resolve("postmaster.pid"))) {
            tools.runServerProgram(STOP_TIMEOUT, folder, "pg_ctl", "-D", data().toString(), "-m", "immediate",
                    "-w", "-t", waitSeconds(STOP_TIMEOUT), "stop");
        }
    }

    /**
     * Starts the server again on the same port with the same data (stopping it first if it runs);
     * it accepts connections when this returns. Throws if another process took the port meanwhile.
     */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("this PostgreSQL server is closed; its data is gone");
        }
        stop();
        startServer();
    }

    /** Stops the server and deletes its data. Closing twice does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException alreadyExiting) {
            // the hook runs, or ran, and does the same
        }
        forget();
    }

    /** Stops the server and deletes its folder, whatever fails. */
    private synchronized void forget() {
        try {
            stop();
        } finally {
            deleteFolder();
        }
    }

    private void deleteFolder() {
        if (Files.notExists(folder)) {
            return; // the shutdown hook ran first
        }
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the PostgreSQL folder " + folder, e);
        }
    }

    private Path data() {
        return folder.resolve("data");
    }

    private Path log() {
        return folder.resolve("server.log");
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static String logSince(Path file, long offset) {
        try {
            byte[] all = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
