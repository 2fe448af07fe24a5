package io.micromesh.core.routing.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reader on files nobody here wrote: RouteLLM's MMLU outcomes in {@code ../shared/data/routellm}
 * (skipped when absent). GPT-4 answers MMLU better than Mixtral, so the baselines must lie strictly
 * between sending nothing and everything to it, with the oracle below random.
 */
class RouteLlmDataTest {

    @Test
    void theMmluOutcomesReadAndFrameTheBaselines() {
        Path folder = Path.of(System.getProperty("mesh.shared.dir", "../../shared"), "data", "routellm", "mmlu-train");
        assumeTrue(Files.isDirectory(folder), "../shared/data/routellm is absent");
        List<LabelledPrompt> prompts = OutcomeFiles.read(List.of(folder), "mistralai/Mixtral-8x7B-Instruct-v0.1",
                "gpt-4-1106-preview");
        assertThat(prompts.size()).isGreaterThan(1000);
        assertThat(prompts.stream().map(LabelledPrompt::source).distinct().count()).isGreaterThan(10);
        double weak = CostQualityCurve.weakAccuracy(prompts);
        double strong = CostQualityCurve.strongAccuracy(prompts);
        assertThat(weak).isLessThan(strong);
        double target = 0.95 * strong;
        double random = CostQualityCurve.randomShare(prompts, target);
        double oracle = CostQualityCurve.oracleShare(prompts, target);
        assertThat(random).isStrictlyBetween(0.0, 1.0);
        assertThat(oracle).isStrictlyBetween(0.0, random);
    }
}
