package io.micromesh.core.routing.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cost-quality figures on ten prompts whose answers are worked out by hand (weak right on 6, strong
 * right on 8; target 95% of the strong model's accuracy = 0.76, i.e. 7.6 of 10 right).
 */
class CostQualityCurveTest {

    // file, weak, strong
    private static final String CSV_A = """
            prompt,weak,strong,notes
            "What is 2+2?
            A. 3
            B. 4",True,True,ignored
            "Capital of France, in one word?",True,True,x
            p3,False,True,x
            """;
    private static final String CSV_B = """
            prompt,weak,strong
            p4,False,True
            p5,False,False
            p6,True,False
            p7,True,True
            """;
    private static final String CSV_C = """
            prompt,strong,weak
            p8,True,False
            p9,True,True
            p10,True,True
            """;

    private static List<LabelledPrompt> prompts(Path dir) throws Exception {
        Files.writeString(dir.resolve("a.csv"), CSV_A);
        Files.writeString(dir.resolve("b.csv"), CSV_B);
        Path c = Files.writeString(dir.resolve("c.csv"), CSV_C);
        return OutcomeFiles.read(List.of(dir.resolve("a.csv"), dir.resolve("b.csv"), c), "weak", "strong");
    }

    @Test
    void filesAreReadWithQuotedNewlinesAndColumnsInAnyOrder(@TempDir Path dir) throws Exception {
        List<LabelledPrompt> prompts = prompts(dir);
        assertThat(prompts).hasSize(10);
        assertThat(prompts.getFirst().prompt()).isEqualTo("What is 2+2?\nA. 3\nB. 4");
        assertThat(prompts.get(1).prompt()).isEqualTo("Capital of France, in one word?");
        assertThat(prompts.get(7)).isEqualTo(new LabelledPrompt("p8", "c", false, true));
        assertThat(OutcomeFiles.read(List.of(dir), "weak", "strong")).isEqualTo(prompts);  // a folder, in name order
    }

    @Test
    void baselinesMatchTheHandWorkedFigures(@TempDir Path dir) throws Exception {
        List<LabelledPrompt> prompts = prompts(dir);
        double target = 0.95 * CostQualityCurve.strongAccuracy(prompts);
        assertThat(CostQualityCurve.weakAccuracy(prompts)).isEqualTo(0.6);
        assertThat(CostQualityCurve.strongAccuracy(prompts)).isEqualTo(0.8);
        assertThat(target).isCloseTo(0.76, within(1e-12));
        // random: 0.6 + s * 0.2 = 0.76
        assertThat(CostQualityCurve.randomShare(prompts, target)).isCloseTo(0.8, within(1e-12));
        // oracle: 3 prompts are fixable, 2 are needed (6 + 2 >= 7.6)
        assertThat(CostQualityCurve.oracleShare(prompts, target)).isEqualTo(0.2);
        // a perfect predictor routes like the oracle; a useless one (ties keep order) needs p1..p4
        double[] perfect = prompts.stream().mapToDouble(p -> p.weak() ? 1 : 0).toArray();
        double[] useless = new double[10];
        java.util.Arrays.fill(useless, 0.5);
        double[] inverse = prompts.stream().mapToDouble(p -> p.weak() ? 0 : 1).toArray();
        assertThat(CostQualityCurve.shareAtTarget(prompts, perfect, target)).isEqualTo(0.2);
        assertThat(CostQualityCurve.shareAtTarget(prompts, useless, target)).isEqualTo(0.4);
        assertThat(CostQualityCurve.shareAtTarget(prompts, inverse, target)).isEqualTo(1.0);
        // file difficulty: b (weak 0.5) goes first, then a and c (2/3 each): p4 p5 p6 p7 p1 p2 p3 p8
        double[] difficulty = CostQualityCurve.fileDifficulty(prompts, prompts);
        assertThat(difficulty).containsExactly(2 / 3.0, 2 / 3.0, 2 / 3.0, 0.5, 0.5, 0.5, 0.5, 2 / 3.0, 2 / 3.0, 2 / 3.0);
        assertThat(CostQualityCurve.shareAtTarget(prompts, difficulty, target)).isEqualTo(0.8);
        // file prior (weak minus strong): a and c (2/3 - 1) go before b (0.5 - 0.5): p1 p2 p3 p8 reach 8 right
        double[] prior = CostQualityCurve.filePrior(prompts, prompts);
        assertThat(prior[0]).isCloseTo(-1 / 3.0, within(1e-12));
        assertThat(prior[3]).isZero();
        assertThat(CostQualityCurve.shareAtTarget(prompts, prior, target)).isEqualTo(0.4);
    }

    @Test
    void aTargetTheWeakModelMeetsNeedsNoStrongCallsAndAnUnreachableOneNeedsAll(@TempDir Path dir) throws Exception {
        List<LabelledPrompt> prompts = prompts(dir);
        assertThat(CostQualityCurve.randomShare(prompts, 0.5)).isZero();
        assertThat(CostQualityCurve.oracleShare(prompts, 0.5)).isZero();
        assertThat(CostQualityCurve.oracleShare(prompts, 0.95)).isEqualTo(1.0);  // at most 9 of 10 can be right
    }

    @Test
    void badFilesAreNamed(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.csv"), "prompt,weak,strong\np1,True,maybe\n");
        assertThatThrownBy(() -> OutcomeFiles.read(List.of(bad), "weak", "strong"))
                .hasMessageContaining("bad.csv").hasMessageContaining("'maybe', not True or False");
        Path missing = Files.writeString(dir.resolve("missing.csv"), "prompt,weak\np1,True\n");
        assertThatThrownBy(() -> OutcomeFiles.read(List.of(missing), "weak", "strong"))
                .hasMessageContaining("no column 'strong'");
        assertThatThrownBy(() -> OutcomeFiles.read(List.of(dir.resolve("nope")), "weak", "strong"))
                .hasMessageContaining("no such file or folder");
    }
}
