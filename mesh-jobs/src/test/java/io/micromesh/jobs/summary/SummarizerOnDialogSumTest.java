package io.micromesh.jobs.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.engines.onnx.EncoderBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The built-in summarizer on the DialogSum conversations it was not trained on (those its file
 * lists as held out): ROUGE-L at least 0.02 above lead-3, with speaker labels and without them.
 * Skips where {@code ../shared} is absent.
 */
@Timeout(300)
class SummarizerOnDialogSumTest {

    @Test
    void theBuiltInModelBeatsLead3OnConversationsItNeverSaw() {
        Path data = Path.of(System.getProperty("mesh.shared.dir", "../../shared"), "data", "dialogsum", "dialogsum.dev.jsonl");
        assumeTrue(Files.isRegularFile(data), "../shared/data/dialogsum is not here");
        SummarizerModel model = SummarizerModel.builtIn();
        Set<String> heldOut = new HashSet<>();
        for (JsonNode id : model.about().path("held_out_ids")) {
            heldOut.add(id.asText());
        }
        assertThat(heldOut).hasSize(model.about().path("held_out_dialogues").asInt()).hasSizeGreaterThanOrEqualTo(100);
        List<SummarizerTraining.Dialogue> unseen = SummarizerTraining.read(data, 0).stream()
                .filter(d -> heldOut.contains(d.id())).toList();
        assertThat(unseen).hasSize(heldOut.size());
        try (EncoderBackend encoder = EncoderBackend.load("minilm")) {
            SummarizerTraining.Figures figures = SummarizerTraining.evaluate(model, unseen, encoder);
            assertThat(figures.rougeL()).as("ROUGE-L %.4f vs lead-3 %.4f", figures.rougeL(), figures.lead3RougeL())
                    .isGreaterThanOrEqualTo(figures.lead3RougeL() + 0.02);
            // the file's own record of it is what this measures
            assertThat(figures.rougeL()).isCloseTo(model.about().path("held_out").path("rougeL").asDouble(),
                    org.assertj.core.api.Assertions.within(1e-3));
            // as a mono call's transcript: no speaker labels, the other scorer
            SummarizerTraining.Figures bare = SummarizerTraining.evaluate(model,
                    unseen.stream().map(SummarizerTraining.Dialogue::withoutSpeakers).toList(), encoder);
            assertThat(bare.rougeL()).as("without labels: ROUGE-L %.4f vs lead-3 %.4f", bare.rougeL(), bare.lead3RougeL())
                    .isGreaterThanOrEqualTo(bare.lead3RougeL() + 0.02);
        }
    }
}
