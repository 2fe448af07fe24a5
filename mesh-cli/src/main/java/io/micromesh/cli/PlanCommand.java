package io.micromesh.cli;

import io.micromesh.cli.plan.FromLedger;
import io.micromesh.cli.plan.PlanReport;
import io.micromesh.core.config.ConfigException;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.plan.Catalog;
import io.micromesh.core.plan.Plan;
import io.micromesh.core.plan.Planner;
import io.micromesh.core.plan.Workload;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mesh plan}: sizes the hardware, cost and energy of a workload on a catalog of deployments. */
@Command(name = "plan",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Plan the units, US dollars, kWh and CO2 a day of a workload (streams of text requests or audio"
                + " minutes) on a catalog of deployments (a model on some hardware, each figure with its source).",
                "A request keeps a unit busy for input-tokens / input-tokens-per-s + output-tokens / output-tokens-per-s"
                        + " seconds; units = ceil(peak load x busy seconds / max-utilisation); see README.md, 'mesh plan'.",
                "Without --catalog, the shipped catalog of cited public figures is used; with it, its deployments are"
                        + " added to the shipped ones (same name: yours)."})
final class PlanCommand implements Callable<Integer> {

    /** The catalog shipped in the jar: cited public figures and figures measured here. */
    static final String SHIPPED_CATALOG = "/plan/catalog.yaml";

    @Option(names = "--workload", paramLabel = "W.yaml", description = "The workload: streams and settings.")
    Path workload;

    @Option(names = "--from-ledger", description = "Plan the traffic the ledger recorded (the store of --config) instead of"
            + " a workload file, and put the plan beside what was measured.")
    boolean fromLedger;

    @Option(names = "--since", paramLabel = "WHEN", description = "With --from-ledger: the window's start, an instant or a"
            + " date (default: 7 days ago); it ends now.")
    String since;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "config/mesh.yaml",
            description = "With --from-ledger: the configuration whose store holds the ledger (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--catalog", paramLabel = "C.yaml", description = "Deployments to add to the shipped catalog.")
    Path catalog;

    @Option(names = "--json", description = "Print the plan as one JSON object (the last line).")
    boolean json;

    @Option(names = "--html", paramLabel = "OUT.html", description = "Also write a self-contained HTML report with charts.")
    Path html;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (fromLedger == (workload != null)) {
            throw new UserError("give --workload FILE, or --from-ledger to plan what the ledger recorded (not both)");
        }
        Catalog deployments = shipped();
        if (catalog != null) {
            deployments = deployments.with(read(catalog, Catalog.class, "a catalog needs 'deployments:'"));
        }
        Plan plan;
        FromLedger.Result measured = null;
        if (fromLedger) {
            measured = LedgerTraffic.plan(config, since, deployments);
            plan = measured.plan();
        } else {
            Workload work = read(workload, Workload.class, "a workload needs 'streams:'");
            try {
                plan = Planner.plan(work, deployments);
            } catch (ConfigException e) {
                throw new UserError(workload + ": " + e.getMessage());
            }
        }
        if (html != null) {
            Files.writeString(html, PlanReport.html(plan, deployments), StandardCharsets.UTF_8);
        }
        if (json) {
            var tree = plan.toJson();
            if (measured != null) {
                var checks = tree.putArray("measured");
                for (FromLedger.Check c : measured.checks()) {
                    checks.addObject().put("stream", c.stream()).put("model", c.model()).put("deployment", c.deployment())
                            .put("requests_per_day", c.requestsPerDay()).put("planned_seconds", c.plannedSeconds())
                            .put("measured_seconds", c.measuredSeconds()).put("planned_kwh_per_day", c.plannedKwhPerDay())
                            .put("measured_kwh_per_day", c.measuredKwhPerDay());
                }
                var unmatched = tree.putArray("unmatched_models");
                measured.unmatched().forEach(unmatched::add);
            }
            out.println(tree.toString());
        } else {
            out.print(PlanReport.table(plan));
            if (measured != null) {
                out.print(FromLedger.table(measured.checks()));
                if (!measured.unmatched().isEmpty()) {
                    out.println("not planned (no deployment of the catalog serves them): " + measured.unmatched());
                }
            }
            if (html != null) {
                out.println("report: " + html);
            }
        }
        out.flush();
        return 0;
    }

    /** The shipped catalog. */
    static Catalog shipped() {
        try (InputStream in = PlanCommand.class.getResourceAsStream(SHIPPED_CATALOG)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return ConfigLoader.withSystemEnvironment().parse(text, Catalog.class, "empty", "not a mapping");
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("the shipped catalog " + SHIPPED_CATALOG + " is missing from the jar", e);
        }
    }

    private static <T> T read(Path file, Class<T> type, String empty) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot be read: " + e.getMessage());
        }
        try {
            return ConfigLoader.withSystemEnvironment().parse(text, type, "the file is empty; " + empty,
                    "the top level must be a mapping of keys");
        } catch (ConfigException e) {
            throw new UserError(file + ": " + e.getMessage());
        }
    }
}
