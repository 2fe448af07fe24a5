package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.helidon.common.socket.NioSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The watch's phases and limits, on a real loopback socket and a clock the test moves. */
@Timeout(30)
class ConnectionWatchTest {

    private static final EdgeTimeouts LIMITS = new EdgeTimeouts(1_000, 500, 2_000);

    private final AtomicLong nanos = new AtomicLong();

    private void advanceMs(long ms) {
        nanos.addAndGet(ms * 1_000_000);
    }

    @Test
    void eachWaitingPhaseIsClosedPastItsOwnLimitAndABusyOneNever() throws Exception {
        try (Loopback loopback = new Loopback()) {
            ConnectionWatch watch = new ConnectionWatch(loopback.server(), LIMITS, nanos::get);
            advanceMs(999);
            assertThat(watch.closeIfLate()).as("idle within its limit").isEmpty();
            watch.bytesArrived();
            advanceMs(400);
            assertThat(watch.closeIfLate()).as("a head within its limit").isEmpty();
            watch.requestRouted();
            advanceMs(60_000);
            assertThat(watch.closeIfLate()).as("busy answering has no limit here").isEmpty();
            watch.bodyStarted();
            advanceMs(2_001);
            assertThat(watch.closeIfLate()).contains("body");
            assertThat(loopback.channel.isOpen()).isFalse();
            assertThat(watch.closeIfLate()).as("closed once").isEmpty();
        }
    }

    @Test
    void onlyAConnectionThatLeftABodyUnreadLingers() throws Exception {
        try (Loopback loopback = new Loopback()) {
            ConnectionWatch watch = new ConnectionWatch(loopback.server(), LIMITS, nanos::get);
            assertThat(watch.startLingering()).as("every body was read").isFalse();
        }
    }

    @Test
    void aLingeringConnectionClosesAfterItsTimeOrWhenTheServerStops() throws Exception {
        try (Loopback first = new Loopback(); Loopback second = new Loopback()) {
            ConnectionWatch late = unreadBodyOn(first);
            ConnectionWatch stopped = unreadBodyOn(second);
            assertThat(late.startLingering()).isTrue();
            assertThat(stopped.startLingering()).isTrue();
            advanceMs(ConnectionWatch.LINGER_MS);
            assertThat(late.closeIfLate()).isEmpty();
            advanceMs(1);
            assertThat(late.closeIfLate()).contains("closing");
            assertThat(first.channel.isOpen()).isFalse();
            assertThat(late.startLingering()).as("no lingering on a closed socket").isFalse();
            stopped.closeIfLingering();
            assertThat(second.channel.isOpen()).isFalse();
        }
    }

    /** A watch whose connection answered a request without reading its body, as the gateway's thread marks it. */
    private ConnectionWatch unreadBodyOn(Loopback loopback) {
        ConnectionWatch watch = new ConnectionWatch(loopback.server(), LIMITS, nanos::get);
        watch.bindToCurrentThread();
        try {
            ConnectionWatch.answeredWithBodyUnread();
        } finally {
            watch.unbindFromCurrentThread();
        }
        return watch;
    }

    @Test
    void aSocketItsOwnThreadClosedMeanwhileIsNoFailureOfTheWatchdog() throws Exception {
        // the race seen in a test run: the connection's thread closed the channel while the watchdog
        // closed it too; the exception then ended the scheduled sweep, and no limit held any more
        try (Loopback loopback = new Loopback()) {
            ConnectionWatch watch = new ConnectionWatch(loopback.server(), LIMITS, nanos::get);
            loopback.channel.close();
            advanceMs(1_001);
            assertThat(watch.closeIfLate()).contains("idle");
        }
    }

    /** A connected pair of loopback channels; the accepted one is the server's side. */
    private static final class Loopback implements AutoCloseable {
        private final ServerSocketChannel listener = ServerSocketChannel.open();
        private final SocketChannel client;
        private final SocketChannel channel;

        Loopback() throws Exception {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            client = SocketChannel.open(listener.getLocalAddress());
            channel = listener.accept();
        }

        NioSocket server() {
            return NioSocket.server(channel, "test", "test");
        }

        @Override
        public void close() throws Exception {
            channel.close();
            client.close();
            listener.close();
        }
    }
}
