package io.micromesh.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code mesh batch}: durable batch jobs. */
@Command(name = "batch",
        mixinStandardHelpOptions = true,
        description = "Durable batch jobs: 'mesh batch run INPUT.jsonl --out OUTPUT.jsonl', and 'mesh batch eval OUTPUT.jsonl --reference REF.jsonl' to score their summaries.",
        subcommands = {BatchRunCommand.class, BatchEvalCommand.class, BatchStatusCommand.class, CommandLine.HelpCommand.class})
final class BatchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand, e.g. 'mesh batch run --help'");
    }
}
