package io.micromesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code docs/seed-scenarios.md} cannot drift from the code: every table in it that follows a
 * {@code <!-- mesh plan --workload FILE -->} marker is what {@code mesh plan} prints for that file
 * today, with the shipped catalog.
 */
@Timeout(60)
class SeedScenariosTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern BLOCK = Pattern.compile("<!-- mesh plan --workload (\\S+) -->\\s*```text\\n(.*?)```",
            Pattern.DOTALL);

    @Test
    void everyPlanInThePageIsWhatMeshPlanPrintsToday() throws Exception {
        String page = Files.readString(ROOT.resolve("docs/seed-scenarios.md"));
        Matcher blocks = BLOCK.matcher(page);
        List<String> checked = new java.util.ArrayList<>();
        while (blocks.find()) {
            Path workload = ROOT.resolve(blocks.group(1));
            MeshCli.Run run = MeshCli.mesh("plan", "--workload", workload.toString());
            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(blocks.group(2)).as("the table for " + blocks.group(1) + " in docs/seed-scenarios.md; today's is:%n%s",
                    run.out()).isEqualTo(run.out());
            checked.add(blocks.group(1));
        }
        assertThat(checked).as("the page's plans").containsExactlyInAnyOrder("docs/seed/summaries-8b-h100.yaml",
                "docs/seed/summaries-cpu.yaml", "docs/seed/calls-vosk.yaml", "docs/seed/calls-whisper.yaml",
                "docs/seed/summaries-405b.yaml");
    }
}
