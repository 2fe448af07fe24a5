package io.micromesh.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.logging.LogManager;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mesh} command: the entry point of every micromesh process. */
@Command(name = "mesh",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "micromesh: generative AI at scale on a portfolio of small, optimized models.",
        subcommands = {ServeCommand.class, EngineCommand.class, PullCommand.class, BenchCommand.class, RouteCommand.class,
                UsageCommand.class, PlanCommand.class, TrainCommand.class,
                BatchCommand.class, WorkerCommand.class, KafkaBrokerCommand.class, DocsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        configureLogging();
        System.exit(commandLine().execute(args));
    }

    /** The command line, with micromesh's error handling: one line naming the problem, no stack trace. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("mesh: " + (e instanceof UserError ? e.getMessage() : e.toString()));
            return e instanceof UserError ? 2 : 1;
        });
        return cli;
    }

    private static void configureLogging() {
        if (System.getProperty("java.util.logging.config.file") != null) {
            return;
        }
        try (InputStream in = Main.class.getResourceAsStream("/mesh-logging.properties")) {
            if (in != null) {
                LogManager.getLogManager().readConfiguration(in);
            }
        } catch (IOException e) {
            System.err.println("mesh: default logging configuration unreadable: " + e.getMessage());
        }
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"micromesh " + (version == null ? "(development build)" : version),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
