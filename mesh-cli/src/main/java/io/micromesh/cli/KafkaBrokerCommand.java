package io.micromesh.cli;

import io.micromesh.jobs.kafka.DevBroker;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mesh kafka-broker}: a single-node KRaft broker for development and tests, until stopped. */
@Command(name = "kafka-broker",
        mixinStandardHelpOptions = true,
        description = {"Run a single-node Kafka broker (KRaft: broker and controller in this process) for development and"
                + " tests, from Kafka's own libraries; transactions work on its one node. Ctrl-C stops it; started again on"
                + " the same --dir, it keeps its topics. Not for production: use a real cluster there."})
final class KafkaBrokerCommand implements Callable<Integer> {

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "9092",
            description = "The client port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "state/kafka",
            description = "Where the broker keeps its data (default: ${DEFAULT-VALUE}); formatted on first use.")
    Path dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (port < 0 || port > 65_535) {
            throw new UserError("--port " + port + " is not a port; from 0 to 65535");
        }
        DevBroker broker;
        try {
            broker = DevBroker.start(port, dir);
        } catch (RuntimeException e) {
            throw new UserError("the broker did not start: " + e.getMessage());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "kafka-broker-stop"));
        spec.commandLine().getOut().println("mesh kafka-broker: listening on " + broker.bootstrap() + " (data in "
                + dir.toAbsolutePath() + ")");
        spec.commandLine().getOut().flush();
        broker.awaitShutdown();
        return 0;
    }
}
