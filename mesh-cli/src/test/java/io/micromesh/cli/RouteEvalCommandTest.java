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

    /**
     * Prompts whose words say nothing of how hard they are (numbered items), in two files: every
     * prompt of one fails on the weak model, every prompt of the other succeeds. Only the file, as
     * the prompts' task, tells them apart.
     */
    @Test
    void eachFileAsATaskGivesThePredictorItsPrior(@TempDir Path dir) throws Exception {
        Path train = Files.createDirectories(dir.resolve("train"));
        Path test = Files.createDirectories(dir.resolve("test"));
        java.util.List<String> hardTrain = new java.util.ArrayList<>();
        java.util.List<String> easyTrain = new java.util.ArrayList<>();
        java.util.List<String> hardTest = new java.util.ArrayList<>();
        java.util.List<String> easyTest = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            (i < 30 ? hardTrain : hardTest).add("Item number " + (2 * i) + " of the list.,False,True");
            (i < 30 ? easyTrain : easyTest).add("Item number " + (2 * i + 1) + " of the list.,True,True");
        }
        write(train, "hard.csv", hardTrain.toArray(String[]::new));
        write(train, "easy.csv", easyTrain.toArray(String[]::new));
        write(test, "hard.csv", hardTest.toArray(String[]::new));
        write(test, "easy.csv", easyTest.toArray(String[]::new));
        MeshCli.Run run = mesh("route", "eval", "--train", train.toString(), "--test", test.toString(),
                "--strong", "strong-model", "--weak", "weak-model", "--neighbours", "5", "--task-from-file");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode result = run.result();
        assertThat(result.path("task_from_file").asBoolean()).isTrue();
        // 95% of the strong model's 20 right answers is 19: the oracle sends 9 of the 10 hard prompts
        // to the strong model, and so does the task prior, which ranks every hard prompt first
        assertThat(result.path("oracle_strong_share").asDouble()).isEqualTo(0.45);
        assertThat(result.path("task_strong_share_at_target").asDouble()).isEqualTo(0.45);
        assertThat(result.path("task_brier").asDouble()).as("calibrated by the task")
                .isLessThan(result.path("brier").asDouble());
        assertThat(run.out()).contains("reliability (with each file as a task");
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
