package io.micromesh.cli;

import io.micromesh.core.config.MeshConfig;
import io.micromesh.jobs.BatchJob;
import io.micromesh.jobs.ItemSender;
import io.micromesh.jobs.kafka.KafkaWorker;
import io.micromesh.jobs.kafka.Topics;
import io.micromesh.server.MeshRuntime;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mesh worker}: starts the portfolio of a configuration in this process and runs the items
 * of batch jobs from Kafka through it, as a member of a consumer group; see {@link KafkaWorker}.
 */
@Command(name = "worker",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Run batch items from Kafka through the portfolio of --config: join a consumer group on the items"
                + " topic, run each item, and commit its result to the results topic in a Kafka transaction (exactly-once"
                + " results; a model call in flight at a crash may be repeated). Start as many workers as you like,"
                + " on as many machines; Ctrl-C stops one after its items in hand are committed."})
final class WorkerCommand implements Callable<Integer> {

    @Option(names = "--kafka", paramLabel = "HOST:PORT", required = true,
            description = "The Kafka cluster's bootstrap servers (comma-separated).")
    String kafka;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "config/mesh.yaml",
            description = "The configuration whose portfolio runs the items, and its kafka: section (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--group", paramLabel = "G", defaultValue = "mesh-workers",
            description = "The consumer group: workers of one group share the items (default: ${DEFAULT-VALUE}).")
    String group;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "16",
            description = "Items in flight at most in this worker (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--max-attempts", paramLabel = "N", defaultValue = "5",
            description = "Attempts per item for retriable failures (default: ${DEFAULT-VALUE}).")
    int maxAttempts;

    @Spec
    CommandSpec spec;

    /**
     * The worker's runners: batch lines as they are; a task's records with the job's task, whose route
     * must be one this portfolio serves (unless the task may run its steps alone). Relative audio paths
     * of records are resolved against the worker's working folder.
     */
    private KafkaWorker.Runners runners(MeshRuntime runtime, ItemSender sender) {
        BatchJob.Settings settings = new BatchJob.Settings(concurrency, maxAttempts, null, null, Path.of("").toAbsolutePath());
        BatchJob.ItemRunner lines = BatchJob.itemRunner(sender, null, null, settings);
        java.util.function.Supplier<io.micromesh.core.spi.TextEncoder> encoder = BatchRunCommand.encoder(runtime);
        return new KafkaWorker.Runners() {
            @Override
            public BatchJob.ItemRunner lines() {
                return lines;
            }

            @Override
            public BatchJob.ItemRunner task(io.micromesh.jobs.kafka.Messages.TaskSpec spec) {
                io.micromesh.jobs.task.BatchTask task = io.micromesh.jobs.task.BatchTask.parse(spec.text(), "the job's task");
                if (spec.route() != null) {
                    task = task.withRoute(spec.route());
                }
                if (task.route().isPresent()) {
                    java.util.List<String> served;
                    try {
                        served = sender.models();
                    } catch (java.io.IOException e) {
                        throw new IllegalArgumentException(e.getMessage());
                    }
                    if (!served.contains(task.route().get())) {
                        if (!task.modelOptional()) {
                            throw new IllegalArgumentException("task " + task.name() + ": route '" + task.route().get()
                                    + "' is not a model or route of this worker's portfolio " + served);
                        }
                        task = task.withoutModel();
                    }
                }
                return BatchJob.itemRunner(sender, task, task.prepare(new io.micromesh.jobs.task.Steps.Resources(encoder)),
                        settings);
            }
        };
    }

    @Override
    public Integer call() throws InterruptedException {
        if (concurrency < 1 || concurrency > 10_000 || maxAttempts < 1) {
            throw new UserError("--concurrency must be from 1 to 10000 and --max-attempts at least 1");
        }
        if (!kafka.matches("[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*")) {
            throw new UserError("--kafka '" + kafka + "' is not HOST:PORT (or a comma-separated list of them)");
        }
        MeshConfig mesh = LocalPortfolio.load(config);
        PrintWriter err = spec.commandLine().getErr();
        MeshRuntime runtime = LocalPortfolio.start(mesh, config, err, "mesh worker");
        try {
            Topics topics = new Topics(mesh.kafka(), kafka);
            try {
                topics.ensure();
            } catch (IllegalStateException e) {
                throw new UserError(e.getMessage());
            }
            ItemSender sender = runtime.itemSender("worker");
            KafkaWorker worker = new KafkaWorker(topics, group, concurrency, runners(runtime, sender));
            Thread main = Thread.currentThread();
            Thread stop = new Thread(() -> {
                worker.stop();
                try {
                    main.join(30_000);
                } catch (InterruptedException ignored) {
                    // stopping anyway
                }
            }, "worker-stop");
            Runtime.getRuntime().addShutdownHook(stop);
            spec.commandLine().getOut().println("mesh worker: " + worker.name() + " in group " + group + " on " + kafka
                    + ", topic " + mesh.kafka().itemsTopic() + ", " + concurrency + " items at most");
            spec.commandLine().getOut().flush();
            worker.run();
            err.println("mesh worker: stopped after " + worker.done() + " items");
            err.flush();
        } finally {
            runtime.drainAndStop();
        }
        return 0;
    }
}
