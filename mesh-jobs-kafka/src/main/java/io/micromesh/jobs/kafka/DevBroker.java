package io.micromesh.jobs.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A single-node Kafka broker in KRaft mode (broker and controller in one process) for development
 * and tests, run from Kafka's own artifacts: its storage formatted once in a folder, transactions
 * working on one node (the internal topics at one replica). Not for production: one node holds every
 * partition once. Restarted on the same folder, it keeps its topics and offsets.
 */
public final class DevBroker implements AutoCloseable {

    private final KafkaRaftServer server;
    private final int port;

    private DevBroker(KafkaRaftServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /**
     * Formats {@code dir} when it holds no broker yet, and starts the broker on {@code port} of the
     * loopback interface.
     *
     * @param port the client port; 0 picks a free one
     * @throws IllegalStateException when the broker cannot start (the port is taken, the folder is another's)
     */
    public static DevBroker start(int port, Path dir) {
        int clientPort = port == 0 ? freePort() : port;
        Path stored = dir.toAbsolutePath().resolve("controller-port");
        int controllerPort;
        try {
            Files.createDirectories(dir);
            // the controller keeps its port across restarts: the quorum's one voter is named by it
            controllerPort = Files.exists(stored) ? Integer.parseInt(Files.readString(stored).strip()) : freePort();
            Files.writeString(stored, controllerPort + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use " + dir + ": " + e.getMessage(), e);
        }
        Properties props = properties(clientPort, controllerPort, dir.toAbsolutePath().resolve("data"));
        Path config = dir.toAbsolutePath().resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(config)) {
            props.store(out, "micromesh development broker");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + config + ": " + e.getMessage(), e);
        }
        if (!Files.exists(dir.toAbsolutePath().resolve("data/meta.properties"))) {
            format(config);
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            server.shutdown();
            throw new IllegalStateException("the broker did not start on port " + clientPort + ": " + e.getMessage(), e);
        }
        return new DevBroker(server, clientPort);
    }

    private static Properties properties(int clientPort, int controllerPort, Path data) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", data.toString());
        // one node: the internal topics (offsets, transactions) at one replica, so that transactions work
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "4");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("transaction.state.log.num.partitions", "4");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("num.partitions", "6");
        p.setProperty("auto.create.topics.enable", "true");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("log.retention.hours", "168");
        return p;
    }

    /** Formats the broker's storage with Kafka's own storage tool (a new cluster id). */
    private static void format(Path config) {
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(said, true, StandardCharsets.UTF_8)) {
            status = kafka.tools.StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
                    config.toString(), "--ignore-formatted"}, out);
        }
        if (status != 0) {
            throw new IllegalStateException("cannot format the broker's storage: " + said.toString(StandardCharsets.UTF_8).strip());
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port: " + e.getMessage(), e);
        }
    }

    /** The {@code host:port} clients connect to. */
    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Blocks until the broker has stopped. */
    public void awaitShutdown() {
        server.awaitShutdown();
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
