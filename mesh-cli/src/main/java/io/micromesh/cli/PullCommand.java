package io.micromesh.cli;

import io.micromesh.engines.pull.ModelPull;
import io.micromesh.cli.pull.ProgressReporter;
import io.micromesh.engines.pull.PullException;
import io.micromesh.engines.pull.PullResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mesh pull}: downloads a model file, resuming an interrupted download and checking its SHA-256. */
@Command(name = "pull",
        mixinStandardHelpOptions = true,
        description = {"Download a model file into DIR (default: models), with a progress bar on standard error.",
                "hf://OWNER/REPO/FILE fetches FILE from the main branch of a Hugging Face repository"
                        + " (hf://OWNER/REPO@REVISION/FILE from another branch, tag or commit); any https:// or"
                        + " http:// URL works too.",
                "An interrupted download resumes where it stopped. The SHA-256 is checked when Hugging Face"
                        + " announces it (files stored in LFS) or --sha256 gives it.",
                "Environment: HF_TOKEN, a Hugging Face token for gated or private repositories;"
                        + " MESH_HF_ENDPOINT, another base URL for hf:// (a mirror)."})
final class PullCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SOURCE",
            description = "hf://OWNER/REPO/FILE, hf://OWNER/REPO@REVISION/FILE, or an https:// or http:// URL.")
    String source;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "models",
            description = "The folder to save the file in, created when missing (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--sha256", paramLabel = "HEX",
            description = "The file's expected SHA-256 (64 hex digits); a file that differs is refused.")
    String sha256;

    @Spec
    CommandSpec spec;

    /** Where HF_TOKEN and MESH_HF_ENDPOINT are read; tests put their own. */
    Map<String, String> environment = System.getenv();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            ModelPull models = ModelPull.fromEnvironment(environment);
            ProgressReporter progress = ProgressReporter.forConsole(err, ModelPull.fileName(source),
                    ProgressReporter.Unit.BYTES, Clock.systemUTC());
            PullResult result = sha256 == null
                    ? models.pull(source, dir, progress)
                    : models.pull(source, dir, sha256, progress);
            out.println(summary(result));
            out.flush();
            return 0;
        } catch (PullException e) {
            throw new UserError(e.getMessage());
        }
    }

    private static String summary(PullResult result) {
        return switch (result) {
            case PullResult.AlreadyPresent present -> present.file() + " is already there, nothing to download"
                    + (present.verified() ? " (SHA-256 matches)" : "");
            case PullResult.Downloaded done -> done.file() + ": " + ProgressReporter.Unit.BYTES.amount(done.bytes())
                    + (done.resumedFrom() > 0 ? ", resumed after " + ProgressReporter.Unit.BYTES.amount(done.resumedFrom()) : "")
                    + ", SHA-256 " + done.sha256()
                    + (done.verifiedBy().isEmpty()
                            ? " (not checked: the source announced none; --sha256 checks it)"
                            : " (matches " + done.verifiedBy() + ")");
        };
    }
}
