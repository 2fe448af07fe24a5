package io.micromesh.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code mesh train}: builds the project's small model files from labelled data. */
@Command(name = "train",
        mixinStandardHelpOptions = true,
        description = "Build micromesh's small model files from labelled data: 'mesh train summarizer --data FILE.jsonl'.",
        subcommands = {TrainSummarizerCommand.class, CommandLine.HelpCommand.class})
final class TrainCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand, e.g. 'mesh train summarizer --help'");
    }
}
