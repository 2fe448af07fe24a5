package io.micromesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs a {@code mesh} command in this JVM, capturing what it prints, as the tests of commands need. */
final class MeshCli {

    private MeshCli() {
    }

    /** What a command did: its exit status and its output. */
    record Run(int exit, String out, String err) {

        /** The last line of standard output, parsed as JSON (the result line of {@code mesh bench}). */
        JsonNode result() throws Exception {
            return Json.mapper().readTree(out.strip().lines().toList().getLast());
        }
    }

    /** Runs {@code mesh ARGS}. */
    static Run mesh(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
