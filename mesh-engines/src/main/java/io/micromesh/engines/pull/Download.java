package io.micromesh.engines.pull;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * One download into a {@code .part} file: follows redirects by hand, resumes with a {@code Range}
 * request, and hashes what it writes.
 *
 * <p>Redirects are followed here rather than by the HTTP client for two reasons: Hugging Face puts
 * the file's SHA-256 and size ({@code x-linked-etag}, {@code x-linked-size}) on its redirect answer,
 * which a following client hides; and the token must go to the hub only, never to the CDN host the
 * hub redirects to.
 */
final class Download {

    private static final int MAX_HOPS = 10;
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /**
     * What was fetched.
     *
     * @param bytes        the size of the {@code .part} file now
     * @param resumedFrom  bytes kept from an earlier attempt
     * @param sha256       SHA-256 of the whole file, lower-case hex
     * @param linkedSha256 the SHA-256 the source announced ({@code x-linked-etag}), or null
     */
    record Fetched(long bytes, long resumedFrom, String sha256, String linkedSha256) {
    }

    /** The answer that carries the file (or refuses it), with what the hops before it announced. */
    private record Answer(HttpResponse<InputStream> response, URI uri, String linkedSha256, long linkedSize,
            boolean tokenSent) {
    }

    private final HttpClient client;
    private final PullSource source;
    private final URI hub;
    private final String token;
    private final Path part;
    private final ProgressListener progress;

    /**
     * @param token bearer token sent to {@code hub}'s origin only, or null
     */
    Download(HttpClient client, PullSource source, URI hub, String token, Path part, ProgressListener progress) {
        this.client = client;
        this.source = source;
        this.hub = hub;
        this.token = token;
        this.part = part;
        this.progress = progress;
    }

    /** Fills {@code channel} (the {@code .part} file, locked by the caller) with the whole file. */
    Fetched into(FileChannel channel) {
        long have = size(channel);
        Answer answer = request(have);
        HttpResponse<InputStream> response = answer.response();
        try {
            int status = response.statusCode();
            if (status == 200) {
                // a whole answer: the first download, or a server that ignored the Range
                return fetch(channel, answer, 0);
            } else if (status == 206) {
                if (rangeStart(response.headers()) == have) {
                    return fetch(channel, answer, have);
                }
            } else if (status == 416 && have > 0) {
                long total = totalOf416(response.headers(), answer.linkedSize());
                if (total == have) {
                    progress.progress(have, total);
                    progress.finished(have, total);
                    return new Fetched(have, have, hex(hashed(channel, have)), answer.linkedSha256());
                }
            } else {
                throw Failures.status(source, answer.uri(), status, response.headers(), answer.tokenSent());
            }
        } finally {
            closeQuietly(response.body());
        }
        if (have == 0) {
            throw new PullException(source.text() + ": " + Failures.shown(answer.uri()) + " answered "
                    + response.statusCode() + " with a range that is not the whole file", false);
        }
        // The part cannot be continued (the server's size differs, or its range starts elsewhere):
        // start again from the first byte, once, since the part is now empty.
        truncate(channel, 0);
        return into(channel);
    }

    private Fetched fetch(FileChannel channel, Answer answer, long from) {
        HttpHeaders headers = answer.response().headers();
        long total = total(answer.response().statusCode(), headers, from, answer.linkedSize());
        truncate(channel, from);
        MessageDigest digest = hashed(channel, from);
        long size = copy(answer.response().body(), channel, digest, from, total, answer.uri());
        return new Fetched(size, from, hex(digest), answer.linkedSha256());
    }

    private Answer request(long have) {
        URI uri = source.uri();
        String linkedSha256 = null;
        long linkedSize = -1;
        for (int hop = 0; hop < MAX_HOPS; hop++) {
            boolean sendToken = token != null && sameOrigin(uri, hub);
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().timeout(ANSWER_TIMEOUT)
                    .header("User-Agent", "micromesh");
            if (have > 0) {
                request.header("Range", "bytes=" + have + "-");
            }
            if (sendToken) {
                request.header("Authorization", "Bearer " + token);
            }
            HttpResponse<InputStream> response = send(request.build(), uri);
            HttpHeaders headers = response.headers();
            if (linkedSha256 == null) {
                linkedSha256 = headers.firstValue("x-linked-etag").map(Download::sha256OfEtag).orElse(null);
            }
            if (linkedSize < 0) {
                linkedSize = headers.firstValueAsLong("x-linked-size").orElse(-1);
            }
            int status = response.statusCode();
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                closeQuietly(response.body());
                String location = headers.firstValue("location").orElse(null);
                if (location == null) {
                    throw new PullException(source.text() + ": " + Failures.shown(uri) + " answered " + status
                            + " without a Location", false);
                }
                uri = uri.resolve(location);
                continue;
            }
            return new Answer(response, uri, linkedSha256, linkedSize, sendToken);
        }
        throw new PullException(source.text() + ": more than " + MAX_HOPS + " redirects, the last to "
                + Failures.shown(uri), false);
    }

    private HttpResponse<InputStream> send(HttpRequest request, URI uri) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            throw new PullException("timed out connecting to " + authority(uri), true, e);
        } catch (HttpTimeoutException e) {
            throw new PullException(authority(uri) + " did not answer within " + ANSWER_TIMEOUT.toSeconds() + " s",
                    true, e);
        } catch (ConnectException e) {
            throw new PullException("cannot connect to " + authority(uri) + " (connection refused)", true, e);
        } catch (SSLException e) {
            throw new PullException("secure connection to " + authority(uri) + " failed: " + e.getMessage(), false, e);
        } catch (IOException e) {
            if (causedBy(e, UnknownHostException.class) || causedBy(e, UnresolvedAddressException.class)) {
                throw new PullException("unknown host " + uri.getHost() + " (offline, or a typo in the source?)", true, e);
            }
            if (causedBy(e, ConnectException.class)) {
                throw new PullException("cannot connect to " + authority(uri) + " (connection refused)", true, e);
            }
            throw new PullException("cannot reach " + authority(uri) + ": " + e, true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PullException("interrupted while waiting for " + authority(uri), true, e);
        }
    }

    /** Streams the body to the channel from {@code from}, hashing and reporting as it goes. */
    private long copy(InputStream body, FileChannel channel, MessageDigest digest, long from, long total, URI uri) {
        long done = from;
        byte[] buffer = new byte[64 * 1024];
        progress.progress(done, total);
        try {
            while (true) {
                int n;
                try {
                    n = body.read(buffer);
                } catch (IOException e) {
                    throw interrupted(done, total, uri, e);
                }
                if (n < 0) {
                    break;
                }
                write(channel, ByteBuffer.wrap(buffer, 0, n));
                digest.update(buffer, 0, n);
                done += n;
                progress.progress(done, total);
            }
        } finally {
            progress.finished(done, total);
        }
        if (total >= 0 && done != total) {
            throw interrupted(done, total, uri, null);
        }
        return done;
    }

    private PullException interrupted(long done, long total, URI uri, IOException cause) {
        return new PullException("download from " + authority(uri) + " broke off after " + done
                + (total >= 0 ? " of " + total : "") + " bytes; run the same pull again to resume it", true, cause);
    }

    private void write(FileChannel channel, ByteBuffer bytes) {
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            throw diskError(e);
        }
    }

    /** A digest fed with the first {@code length} bytes already in the part. */
    private MessageDigest hashed(FileChannel channel, long length) {
        MessageDigest digest = sha256();
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        try {
            long position = 0;
            while (position < length) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), length - position));
                int n = channel.read(buffer, position);
                if (n < 0) {
                    throw new IOException("the file ended at byte " + position);
                }
                buffer.flip();
                digest.update(buffer);
                position += n;
            }
            channel.position(length);
        } catch (IOException e) {
            throw diskError(e);
        }
        return digest;
    }

    private void truncate(FileChannel channel, long size) {
        try {
            channel.truncate(size);
            channel.position(size);
        } catch (IOException e) {
            throw diskError(e);
        }
    }

    private long size(FileChannel channel) {
        try {
            return channel.size();
        } catch (IOException e) {
            throw diskError(e);
        }
    }

    private PullException diskError(IOException e) {
        return new PullException("cannot write " + part + ": " + Failures.reason(e), false, e);
    }

    /** The total size: the answer's own when it tells, else what the hub announced, else -1. */
    private static long total(int status, HttpHeaders headers, long from, long linkedSize) {
        if (status == 206) {
            Matcher m = CONTENT_RANGE.matcher(headers.firstValue("content-range").orElse(""));
            if (m.matches() && !m.group(3).equals("*")) {
                return Long.parseLong(m.group(3));
            }
        } else {
            OptionalLong length = headers.firstValueAsLong("content-length");
            if (length.isPresent()) {
                return from + length.getAsLong();
            }
        }
        return linkedSize;
    }

    /** Where a 206 answer's range starts, or -1 when it does not say. */
    private static long rangeStart(HttpHeaders headers) {
        Matcher m = CONTENT_RANGE.matcher(headers.firstValue("content-range").orElse(""));
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /** A 416 answer says the size in {@code Content-Range: bytes *}{@code /TOTAL}. */
    private static long totalOf416(HttpHeaders headers, long linkedSize) {
        String range = headers.firstValue("content-range").orElse("");
        if (range.startsWith("bytes */")) {
            try {
                return Long.parseLong(range.substring("bytes */".length()).strip());
            } catch (NumberFormatException e) {
                return linkedSize;
            }
        }
        return linkedSize;
    }

    /** The SHA-256 in an {@code x-linked-etag} ({@code "hex"}, maybe weak), or null for another kind of tag. */
    static String sha256OfEtag(String etag) {
        String tag = etag.strip();
        if (tag.startsWith("W/")) {
            tag = tag.substring(2);
        }
        tag = tag.replace("\"", "").toLowerCase(Locale.ROOT);
        return SHA256.matcher(tag).matches() ? tag : null;
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    static String authority(URI uri) {
        return uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // a redirect's body is not needed
        }
    }
}
