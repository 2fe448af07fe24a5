package io.micromesh.server;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Every client connection of the gateway, before Helidon's HTTP/1.1 connection takes it. The only
 * connection selector of the listener (so Helidon hands each new connection over at once, without
 * reading from it first), it adds three things Helidon 4.5 does not do:
 * <ul>
 *   <li><b>time limits on the client</b>: each connection has a {@link ConnectionWatch}, and a
 *       watchdog closes those idle, sending a request's head or its body for longer than
 *       {@link EdgeTimeouts} allow. Helidon's own idle check only interrupts a connection waiting
 *       for a request line, and its sockets have no read timeout: a client sending its headers a byte
 *       a second, or nothing at all after connecting, held a connection for ever;</li>
 *   <li><b>HTTP/1.0</b>: Helidon answers it 505, and nginx's {@code proxy_pass} speaks HTTP/1.0 to
 *       upstreams by default. A 1.0 request is passed on as 1.1 with {@code Connection: close} (1.0
 *       has no persistent connections by default) and a {@code Host} when it has none. The answer's
 *       status line says 1.1, as RFC 9110 allows; a stream is still sent chunked, which nginx and
 *       curl read, though a strict 1.0 client would not;</li>
 *   <li><b>not HTTP at all</b> (a TLS handshake on the plain port, binary noise): a first byte that
 *       cannot begin a request line closes the connection at once, where Helidon waited for a line end.</li>
 * </ul>
 * Hand-written because Helidon offers no hook for these; it relies only on its public SPI.
 */
final class EdgeConnections implements ServerConnectionSelector, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(EdgeConnections.class.getName());
    private static final Duration SWEEP = Duration.ofMillis(250);

    private final Http1ConnectionSelector http1 = Http1ConnectionSelector.builder().config(Http1Config.create()).build();
    private final EdgeTimeouts limits;
    private final Set<ConnectionWatch> watches = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("mesh-edge-watchdog").daemon().factory());

    EdgeConnections(EdgeTimeouts limits) {
        this.limits = limits;
        watchdog.scheduleWithFixedDelay(this::sweep, SWEEP.toMillis(), SWEEP.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void sweep() {
        for (ConnectionWatch watch : watches) {
            try {
                watch.closeIfLate().ifPresent(late -> LOG.log(System.Logger.Level.DEBUG,
                        "closed a client connection: its " + late + " ran past its time limit"));
            } catch (RuntimeException e) {
                // one connection's failure must not end the sweep: a scheduled task that throws is never run again
                LOG.log(System.Logger.Level.WARNING, "could not close a late client connection", e);
            }
        }
    }

    @Override
    public int bytesToIdentifyConnection() {
        return 0;
    }

    @Override
    public Support supports(BufferData data) {
        return Support.SUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        // with TLS, the protocol a client may negotiate (ALPN): a client that offers h2 and http/1.1 gets http/1.1
        return Set.of("http/1.1");
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        return new WatchedConnection(ctx, new ConnectionWatch(ctx.serverSocket(), limits, System::nanoTime));
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }

    /** A client connection served by Helidon's HTTP/1.1 connection once its first byte shows it is HTTP. */
    private final class WatchedConnection implements ServerConnection {
        private final ConnectionContext ctx;
        private final ConnectionWatch watch;
        private volatile ServerConnection http;

        WatchedConnection(ConnectionContext ctx, ConnectionWatch watch) {
            this.ctx = ctx;
            this.watch = watch;
        }

        @Override
        public void handle(Limit limit) throws InterruptedException {
            watches.add(watch);
            watch.bindToCurrentThread();
            try {
                DataReader source = ctx.dataReader();
                try {
                    source.ensureAvailable();
                } catch (DataReader.InsufficientDataAvailableException e) {
                    return;  // closed before its first byte
                }
                byte first = source.lookup();
                if (first < 'A' || first > 'Z') {
                    ctx.log(LOG, System.Logger.Level.DEBUG, "not HTTP (first byte 0x%02x); closed", first & 0xff);
                    return;
                }
                http = http1.connection(new WatchedContext(ctx, DataReader.create(new ClientBytes(source, watch))));
                try {
                    http.handle(limit);
                } finally {
                    linger(source);
                }
            } finally {
                watch.unbindFromCurrentThread();
                watches.remove(watch);
            }
        }

        /**
         * Reads and drops what the client still sends before the connection closes, for a bounded
         * time ({@link ConnectionWatch#LINGER_MS}). An answer given before the request's body was
         * read (a 413 from its Content-Length) is followed by a close; closing with the client's
         * bytes unread resets the connection, and a client still writing its body (the JDK's
         * HttpClient) then fails on a broken pipe without reading the answer. A client that has read
         * the answer closes its side (the answer says {@code Connection: close}), which ends this at
         * once. Only such a connection lingers: Helidon cannot half-close a socket, so one that
         * lingered after every close would keep a client reading to the end waiting.
         */
        private void linger(DataReader source) {
            if (!watch.startLingering()) {
                return;  // every body was read, or the watchdog or a shutdown closed the socket already
            }
            try {
                while (true) {
                    source.ensureAvailable();
                    source.skip(source.available());
                }
            } catch (RuntimeException closed) {
                // the client closed its side, or the watchdog ended the lingering: either way done
            }
        }

        @Override
        public Duration idleTime() {
            ServerConnection now = http;
            return now == null ? Duration.ZERO : now.idleTime();
        }

        @Override
        public void close(boolean interrupt) {
            watch.closeIfLingering();
            ServerConnection now = http;
            if (now != null) {
                now.close(interrupt);
            } else if (interrupt) {
                ctx.serverSocket().close();
            }
        }
    }

    /**
     * The client's bytes as Helidon's connection reads them: each pull tells the watch that bytes
     * came, and the first request, when it is HTTP/1.0, is rewritten as described above.
     */
    private static final class ClientBytes implements Supplier<byte[]> {
        private static final int MAX_HEAD = 24 * 1024;
        private static final Pattern HOST = Pattern.compile("(?im)^host[ \\t]*:");

        private final DataReader source;
        private final ConnectionWatch watch;
        private boolean firstRequestSeen;

        ClientBytes(DataReader source, ConnectionWatch watch) {
            this.source = source;
            this.watch = watch;
        }

        @Override
        public byte[] get() {
            if (!firstRequestSeen) {
                firstRequestSeen = true;
                return firstRequest();
            }
            return pull();
        }

        private byte[] pull() {
            try {
                source.ensureAvailable();
            } catch (DataReader.InsufficientDataAvailableException e) {
                return null;
            }
            byte[] bytes = source.readBytes(source.available());
            watch.bytesArrived();
            return bytes;
        }

        /** The first bytes: up to the request line's end, and for HTTP/1.0 to the head's end, rewritten. */
        private byte[] firstRequest() {
            ByteArrayOutputStream seen = new ByteArrayOutputStream();
            while (seen.size() < MAX_HEAD) {
                byte[] more = pull();
                if (more == null) {
                    break;
                }
                seen.writeBytes(more);
                String text = seen.toString(StandardCharsets.ISO_8859_1);  // one char per byte: a lossless round trip
                int lineEnd = text.indexOf('\n');
                if (lineEnd < 0) {
                    continue;
                }
                if (!text.substring(0, lineEnd + 1).endsWith(" HTTP/1.0\r\n")) {
                    break;
                }
                String rest = text.substring(lineEnd + 1);
                int headEnd = rest.startsWith("\r\n") ? 0 : rest.indexOf("\r\n\r\n");
                if (headEnd < 0) {
                    continue;
                }
                String line = text.substring(0, lineEnd + 1).replace(" HTTP/1.0\r\n", " HTTP/1.1\r\n");
                boolean hasHost = HOST.matcher(rest.substring(0, headEnd)).find();
                return (line + "Connection: close\r\n" + (hasHost ? "" : "Host: localhost\r\n") + rest)
                        .getBytes(StandardCharsets.ISO_8859_1);
            }
            return seen.size() == 0 ? null : seen.toByteArray();
        }
    }

    /** The connection's context with the client's bytes read through {@link ClientBytes}. */
    private record WatchedContext(ConnectionContext ctx, DataReader reader) implements ConnectionContext {
        @Override
        public ListenerContext listenerContext() {
            return ctx.listenerContext();
        }

        @Override
        public ExecutorService executor() {
            return ctx.executor();
        }

        @Override
        public DataWriter dataWriter() {
            return ctx.dataWriter();
        }

        @Override
        public DataReader dataReader() {
            return reader;
        }

        @Override
        public Router router() {
            return ctx.router();
        }

        @Override
        public Optional<ProxyProtocolData> proxyProtocolData() {
            return ctx.proxyProtocolData();
        }

        @Override
        public HelidonSocket serverSocket() {
            return ctx.serverSocket();
        }

        @Override
        public PeerInfo remotePeer() {
            return ctx.remotePeer();
        }

        @Override
        public PeerInfo localPeer() {
            return ctx.localPeer();
        }

        @Override
        public boolean isSecure() {
            return ctx.isSecure();
        }

        @Override
        public String socketId() {
            return ctx.socketId();
        }

        @Override
        public String childSocketId() {
            return ctx.childSocketId();
        }
    }
}
