package io.micromesh.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for Hugging Face's file downloads, for tests: it answers
 * {@code /OWNER/REPO/resolve/REVISION/PATH} the way the hub does for a file stored in LFS (a
 * {@code 302} to a signed CDN URL, with the file's SHA-256 in {@code x-linked-etag} and its size in
 * {@code x-linked-size}), and serves the bytes from that "CDN" with {@code Range} support. The hub
 * answers on {@code 127.0.0.1} and the CDN on {@code localhost}, the same port under two host
 * names, so that a client must treat them as different hosts (and, for one, not send its token
 * there). Each answers only its own paths.
 *
 * <p>It can misbehave as downloads do: cut the connection after some bytes, ignore {@code Range},
 * serve bytes that differ from the announced digest. It counts the file bytes it sent and records
 * every request. Missing repositories, revisions and files are answered with the hub's statuses
 * and {@code X-Error-Code} headers.
 *
 * <p>Plain sockets for the same reason as {@link StandInServer}: it must break a response in the
 * middle. Loopback only; one virtual thread per connection.
 */
public final class HubStandIn implements AutoCloseable {

    /** The commit every stand-in repository is at. */
    public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    /** A request as the stand-in received it; header names are lower-case. */
    public record Recorded(String method, String host, String path, Map<String, String> headers) {

        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }

        /** Whether it reached the CDN host (rather than the hub). */
        public boolean toCdn() {
            return host.startsWith("localhost:");
        }
    }

    private record Blob(byte[] content, String sha256) {
    }

    private final ServerSocket listener;
    private final int port;
    private final Thread acceptor;
    private final Map<String, Blob> hubFiles = new ConcurrentHashMap<>();   // "owner/repo/revision/path"
    private final Map<String, Blob> plainFiles = new ConcurrentHashMap<>(); // "/path" served as is
    private final Map<String, Blob> cdn = new ConcurrentHashMap<>();        // sha256 -> blob
    private final Map<String, String> gated = new ConcurrentHashMap<>();    // "owner/repo" -> token
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final List<Recorded> recorded = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong cutAfter = new AtomicLong(-1);
    private volatile boolean ignoreRange;
    private volatile boolean corrupt;

    private HubStandIn(ServerSocket listener) {
        this.listener = listener;
        this.port = listener.getLocalPort();
        this.acceptor = Thread.ofVirtual().name("hub-stand-in-accept").start(this::accept);
    }

    /** Starts a stand-in on an ephemeral loopback port. */
    public static HubStandIn start() {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return new HubStandIn(socket);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on loopback", e);
        }
    }

    /** The hub's base URL, what {@code hf://} maps onto: {@code http://127.0.0.1:PORT}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** A file stored in LFS at {@code repo} ({@code OWNER/NAME}), branch {@code main}. */
    public HubStandIn lfsFile(String repo, String path, byte[] content) {
        return lfsFile(repo, "main", path, content);
    }

    /** A file stored in LFS at {@code repo} ({@code OWNER/NAME}), at {@code revision}. */
    public HubStandIn lfsFile(String repo, String revision, String path, byte[] content) {
        Blob blob = new Blob(content.clone(), sha256(content));
        hubFiles.put(repo + "/" + revision + "/" + path, blob);
        cdn.put(blob.sha256(), blob);
        return this;
    }

    /** A file served at {@code path} on the hub host itself, with no redirect and no {@code x-linked-*} headers. */
    public HubStandIn plainFile(String path, byte[] content) {
        plainFiles.put(path, new Blob(content.clone(), sha256(content)));
        return this;
    }

    /** Makes {@code repo} gated: its files need {@code Authorization: Bearer token}, else 401 {@code GatedRepo}. */
    public HubStandIn gated(String repo, String token) {
        gated.put(repo, token);
        return this;
    }

    /** The next file download sends this many bytes of the body, then closes the connection. */
    public HubStandIn cutNextDownloadAfter(long bytes) {
        cutAfter.set(bytes);
        return this;
    }

    /** Answers every download whole, with 200, whatever {@code Range} asks. */
    public HubStandIn ignoreRange(boolean ignore) {
        this.ignoreRange = ignore;
        return this;
    }

    /** Serves files with their first byte changed, while still announcing their true digest. */
    public HubStandIn corrupt(boolean corrupted) {
        this.corrupt = corrupted;
        return this;
    }

    /** Bytes of file bodies sent since start (redirects and errors not counted). */
    public long bytesSent() {
        return bytesSent.get();
    }

    /** Every request received, in order. */
    public List<Recorded> requests() {
        synchronized (recorded) {
            return List.copyOf(recorded);
        }
    }

    /** Requests that reached the CDN host. */
    public List<Recorded> cdnRequests() {
        return requests().stream().filter(Recorded::toCdn).toList();
    }

    /** The SHA-256 of some bytes, in lower-case hex, as {@code x-linked-etag} carries it. */
    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
            acceptor.join(10_000);
        } catch (IOException ignored) {
            // closing a listener does not fail in a way that matters here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                Thread.ofVirtual().name("hub-stand-in").start(() -> serve(client));
            } catch (IOException e) {
                return;  // listener closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; InputStream in = new BufferedInputStream(socket.getInputStream());
             OutputStream out = socket.getOutputStream()) {
            Recorded request;
            while ((request = read(in)) != null) {
                recorded.add(request);
                if (!respond(request, out)) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away, or the connection was cut on purpose
        } finally {
            sockets.remove(socket);
        }
    }

    /** Answers one request; false when the connection must close. */
    private boolean respond(Recorded request, OutputStream out) throws IOException {
        String path = request.path();
        int query = path.indexOf('?');
        String bare = query < 0 ? path : path.substring(0, query);
        if (request.toCdn()) {
            Blob blob = bare.startsWith("/cdn/") ? cdn.get(bare.substring("/cdn/".length())) : null;
            if (blob == null || query < 0) {
                return head(out, 403, "Forbidden", Map.of(), "missing or bad signature");
            }
            return file(request, out, blob);
        }
        Blob plain = plainFiles.get(bare);
        if (plain != null) {
            return file(request, out, plain);
        }
        return resolve(request, out, bare);
    }

    /** {@code /OWNER/REPO/resolve/REVISION/PATH} on the hub. */
    private boolean resolve(Recorded request, OutputStream out, String path) throws IOException {
        String[] parts = path.substring(1).split("/", 5);
        if (parts.length < 5 || !parts[2].equals("resolve")) {
            return head(out, 404, "Not Found", Map.of(), "Not Found");
        }
        String repo = decode(parts[0]) + "/" + decode(parts[1]);
        String revision = decode(parts[3]);
        String file = decode(parts[4]);
        if (hubFiles.keySet().stream().noneMatch(k -> k.startsWith(repo + "/"))) {
            // the hub answers 401, not 404, to an anonymous request for a missing repository
            return head(out, 401, "Unauthorized", Map.of("X-Error-Code", "RepoNotFound",
                    "X-Error-Message", "Repository not found"), "Repository not found");
        }
        String token = gated.get(repo);
        if (token != null && !request.header("authorization").orElse("").equals("Bearer " + token)) {
            return head(out, 401, "Unauthorized", Map.of("X-Error-Code", "GatedRepo", "X-Error-Message",
                    "Access to model " + repo + " is restricted."), "Access restricted");
        }
        if (hubFiles.keySet().stream().noneMatch(k -> k.startsWith(repo + "/" + revision + "/"))) {
            return head(out, 404, "Not Found", Map.of("X-Error-Code", "RevisionNotFound",
                    "X-Error-Message", "Invalid rev id: " + revision), "Revision not found");
        }
        Blob blob = hubFiles.get(repo + "/" + revision + "/" + file);
        if (blob == null) {
            return head(out, 404, "Not Found", Map.of("X-Error-Code", "EntryNotFound",
                    "X-Error-Message", "Entry not found"), "Entry not found");
        }
        String location = "http://localhost:" + port + "/cdn/" + blob.sha256()
                + "?X-Amz-Expires=3600&X-Amz-Signature=stand-in";
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Location", location);
        headers.put("x-linked-etag", "\"" + blob.sha256() + "\"");
        headers.put("x-linked-size", Long.toString(blob.content().length));
        headers.put("x-repo-commit", COMMIT);
        return head(out, 302, "Found", headers, "Found. Redirecting to " + location);
    }

    /** The bytes of a file, whole or from the start of a {@code Range: bytes=N-}. */
    private boolean file(Recorded request, OutputStream out, Blob blob) throws IOException {
        byte[] content = blob.content();
        if (corrupt && content.length > 0) {
            content = content.clone();
            content[0] ^= 0x5A;
        }
        long size = content.length;
        Matcher range = RANGE.matcher(request.header("range").orElse(""));
        int from = 0;
        String status = "200 OK";
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Accept-Ranges", "bytes");
        headers.put("ETag", "\"" + blob.sha256() + "\"");
        if (range.matches() && !ignoreRange) {
            long start = Long.parseLong(range.group(1));
            if (start >= size) {
                headers.put("Content-Range", "bytes */" + size);
                return head(out, 416, "Range Not Satisfiable", headers, "");
            }
            from = (int) start;
            status = "206 Partial Content";
            headers.put("Content-Range", "bytes " + from + "-" + (size - 1) + "/" + size);
        }
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append("\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("Content-Type: application/octet-stream\r\nContent-Length: ").append(size - from).append("\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        long cut = cutAfter.getAndSet(-1);
        int length = (int) (cut >= 0 ? Math.min(cut, size - from) : size - from);
        out.write(content, from, length);
        out.flush();
        bytesSent.addAndGet(length);
        return cut < 0;
    }

    private static boolean head(OutputStream out, int status, String reason, Map<String, String> headers, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ").append(bytes.length).append("\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return true;
    }

    private static String decode(String segment) {
        return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** Reads a request's line and headers (the stand-in answers GET and HEAD, which have no body). */
    private static Recorded read(InputStream in) throws IOException {
        String line = readLine(in);
        if (line == null || line.isEmpty()) {
            return null;
        }
        String[] parts = line.split(" ");
        Map<String, String> headers = new LinkedHashMap<>();
        String header;
        while ((header = readLine(in)) != null && !header.isEmpty()) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
        }
        return new Recorded(parts[0], headers.getOrDefault("host", ""), parts[1], Map.copyOf(headers));
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                String s = line.toString(StandardCharsets.US_ASCII);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
    }
}
