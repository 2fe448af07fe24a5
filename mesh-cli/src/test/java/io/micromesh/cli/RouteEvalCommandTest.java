package io.micromesh.cli;

import static io.micromesh.cli.MeshCli.mesh;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mesh route eval} on small outcome files whose figures are known by hand: the weak model
 * fails every arithmetic prompt and answers every vocabulary prompt, the strong one answers all.
 */
class RouteEvalCommandTest {

    private static String csv(String... rows) {
        return "prompt,weak-model,strong-model\n" + String.join("\n", rows) + "\n";
    }

    private static Path write(Path dir, String name, String... rows) throws Exception {
        return Files.writeString(dir.resolve(name), csv(rows));
    }

    @Test
    void theRouterLearnsWhichPromptsTheWeakModelFails(@TempDir Path dir) throws Exception {
        Path train = write(dir, "train.csv",
                "What is 17 times 23?,False,True", "Compute 144 divided by 12.,False,True",
                "What is the square root of 169?,False,True", "Add 358 and 947.,False,True",
                "What is 15 percent of 240?,False,True", "Multiply 36 by 41.,False,True",
                "What is the French word for cat?,True,True", "Translate dog into Spanish.,True,True",
                "What does the German word Haus mean?,True,True", "Give the Italian word for bread.,True,True",
                "How do you say thank you in Japanese?,True,True", "What is the Spanish word for water?,True,True");
        Path test = write(dir, "test.csv",
                "What is 29 times 31?,False,True", "Subtract 487 from 1000.,False,True",
                "What is 12 squared?,False,True", "Divide 625 by 25.,False,True",
                "What is the French word for house?,True,True", "Translate apple into German.,True,True",
                "How do you say hello in Italian?,True,True", "What is the Spanish word for book?,True,True");
        MeshCli.Run run = mesh("route", "eval", "--train", train.toString(), "--test", test.toString(),
                "--strong", "strong-model", "--weak", "weak-model", "--target", "0.95", "--neighbours", "3");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode result = run.result();
        assertThat(result.path("test_prompts").asInt()).isEqualTo(8);
        assertThat(result.path("weak_accuracy").asDouble()).isEqualTo(0.5);
        assertThat(result.path("strong_accuracy").asDouble()).isEqualTo(1.0);
        assertThat(result.path("target_quality").asDouble()).isEqualTo(0.95);
        // random: 0.5 + s * 0.5 = 0.95; oracle: the 4 arithmetic prompts (7.6 of 8 needs 4 fixes)
        assertThat(result.path("random_strong_share").asDouble()).isEqualTo(0.9);
        assertThat(result.path("oracle_strong_share").asDouble()).isEqualTo(0.5);
        // the file prior knows nothing here (one training file): as good as the prompts' order
        assertThat(result.path("file_prior_strong_share").asDouble()).isBetween(0.5, 1.0);
        assertThat(result.path("strong_share_at_target").asDouble()).as("learned: arithmetic goes to the strong model")
                .isEqualTo(0.5);
        assertThat(run.out()).contains("strong share  accuracy");
    }

    @Test
    void crossValidationGroupedByFileReportsMeansAndDeviations(@TempDir Path dir) throws Exception {
        write(dir, "a.csv", "What is 17 times 23?,False,True", "What is the French word for cat?,True,True");
        write(dir, "b.csv", "Compute 144 divided by 12.,False,True", "Translate dog into Spanish.,True,True");
        write(dir, "c.csv", "Add 358 and 947.,False,True", "What is the Spanish word for water?,True,True");
        MeshCli.Run run = mesh("route", "eval", "--train", dir.toString(), "--cv", "3", "--group-by-file",
                "--strong", "strong-model", "--weak", "weak-model");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode result = run.result();
        assertThat(result.path("folds").asInt()).isEqualTo(3);
        assertThat(result.path("test_prompts").asInt()).isEqualTo(6);
        assertThat(result.has("strong_share_at_target_sd")).isTrue();
        assertThat(mesh("route", "eval", "--train", dir.toString(), "--cv", "4", "--group-by-file",
                "--strong", "strong-model", "--weak", "weak-model").err()).contains("needs at least 4 files, got 3");
    }

    @Test
    void badInputIsOneLine(@TempDir Path dir) throws Exception {
        Path train = write(dir, "t.csv", "p,True,True");
        assertThat(mesh("route", "eval", "--train", train.toString(), "--strong", "strong-model", "--weak", "weak-model")
                .err()).contains("give --test PATH... or --cv K");
        assertThat(mesh("route", "eval", "--train", train.toString(), "--test", train.toString(), "--strong", "gpt",
                "--weak", "weak-model").err()).contains("no column 'gpt'");
    }
}
