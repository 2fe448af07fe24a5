package io.micromesh.cli;

import io.micromesh.api.Json;
import io.micromesh.core.config.ConfigException;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.KafkaSettings;
import io.micromesh.jobs.kafka.KafkaStatus;
import io.micromesh.jobs.kafka.Topics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mesh batch status --kafka}: the jobs over Kafka, the workers' lag and each worker's throughput. */
@Command(name = "status",
        mixinStandardHelpOptions = true,
        description = {"Show the batch jobs published to Kafka (items, results committed, failed), the lag of the workers'"
                + " consumer group (items not yet run), and each worker's results in the last minute.",
                "With --json, one JSON object instead of tables."})
final class BatchStatusCommand implements Callable<Integer> {

    @Option(names = "--kafka", paramLabel = "HOST:PORT", required = true, description = "The Kafka cluster's bootstrap servers.")
    String kafka;

    @Option(names = "--group", paramLabel = "G", defaultValue = "mesh-workers",
            description = "The workers' consumer group (default: ${DEFAULT-VALUE}).")
    String group;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A configuration whose kafka: section (topic prefix, client settings) to use.")
    Path config;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        KafkaSettings settings = KafkaSettings.defaults();
        if (config != null) {
            settings = LocalPortfolio.load(config).kafka();
        }
        KafkaStatus.Status status;
        try {
            status = new KafkaStatus(new Topics(settings, kafka), Clock.systemUTC()).read(group);
        } catch (IllegalStateException | org.apache.kafka.common.KafkaException e) {
            throw new UserError("Kafka at " + kafka + ": " + e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.string(Json.mapper().valueToTree(status)));
            return 0;
        }
        out.printf("%-20s %10s %10s %10s %8s%n", "job", "items", "results", "failed", "done");
        for (KafkaStatus.Job job : status.jobs()) {
            out.printf("%-20s %10d %10d %10d %7.1f%%%n", job.id(), job.items(), job.results(), job.failed(),
                    job.items() == 0 ? 100.0 : 100.0 * job.results() / job.items());
        }
        out.println();
        out.println("group " + status.group() + ": lag " + status.lag() + " items, " + status.workers().size() + " workers");
        out.printf("%-24s %10s %18s%n", "worker", "partitions", "results last min");
        for (KafkaStatus.Worker worker : status.workers()) {
            out.printf("%-24s %10d %18d%n", worker.name(), worker.partitions(), worker.resultsLastMinute());
        }
        return 0;
    }
}
