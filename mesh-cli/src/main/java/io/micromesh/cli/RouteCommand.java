package io.micromesh.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code mesh route}: tools for the router. */
@Command(name = "route",
        mixinStandardHelpOptions = true,
        description = "Tools for the router: 'mesh route eval' replays labelled outcomes offline; 'mesh route check' tries a semantic route on labelled utterances.",
        subcommands = {RouteEvalCommand.class, RouteCheckCommand.class, CommandLine.HelpCommand.class})
final class RouteCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand, e.g. 'mesh route eval --help'");
    }
}
