package io.micromesh.cli;

import static io.micromesh.cli.MeshCli.mesh;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mesh docs ingest | show | list}: a folder ingested twice converts nothing the second time;
 * a bad file is a failed item while the rest goes on; the last line is the JSON summary; show prints
 * a document's Markdown, or one page's.
 */
@Timeout(120)
class DocsCommandTest {

    @TempDir
    Path dir;

    private static JsonNode lastLine(String out) {
        String[] lines = out.strip().split("\n");
        return Json.parseObject(lines[lines.length - 1].getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aFolderIngestedTwiceIsConvertedOnceAndShownBack() throws Exception {
        Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                server: { state-dir: "%s" }
                models:
                  - { id: remote, engine: openai, endpoints: ["http://127.0.0.1:9"] }
                """.formatted(dir.resolve("state")));
        Path in = Files.createDirectories(dir.resolve("in"));
        try (PDDocument doc = new PDDocument()) {
            for (int p = 1; p <= 2; p++) {
                PDPage page = new PDPage();
                doc.addPage(page);
                try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                    s.beginText();
                    s.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 11);
                    s.newLineAtOffset(72, 700);
                    s.showText("Page " + p + " of a report about calls and the energy their summaries take.");
                    s.endText();
                }
            }
            doc.save(in.resolve("report.pdf").toFile());
        }
        Files.writeString(in.resolve("notes.txt"), "Notes of the week.\n");
        Files.writeString(in.resolve("broken.pdf"), "not a pdf at all");

        MeshCli.Run first = mesh("docs", "ingest", in.toString(), "--config", config.toString());
        assertThat(first.exit()).as(first.err()).isZero();
        JsonNode summary = lastLine(first.out());
        assertThat(summary.path("documents").asInt()).isEqualTo(3);
        assertThat(summary.path("converted").asInt()).isEqualTo(2);
        assertThat(summary.path("failed").asInt()).isEqualTo(1);
        assertThat(summary.path("pages").asInt()).isEqualTo(3);
        assertThat(first.err()).contains("broken.pdf").contains("not a readable PDF");

        MeshCli.Run second = mesh("docs", "ingest", in.toString(), "--config", config.toString());
        JsonNode again = lastLine(second.out());
        assertThat(again.path("converted").asInt()).as("nothing converted twice").isZero();
        assertThat(again.path("reused").asInt()).isEqualTo(2);
        String id = null;
        for (JsonNode item : again.path("items")) {
            if (item.path("path").asText().endsWith("report.pdf")) {
                id = item.path("id").asText();
                assertThat(item.path("status").asText()).isEqualTo("reused");
            }
        }
        MeshCli.Run page = mesh("docs", "show", id.substring(0, 12), "--page", "2", "--config", config.toString());
        assertThat(page.exit()).as(page.err()).isZero();
        assertThat(page.out()).contains("Page 2 of a report").doesNotContain("Page 1");
        MeshCli.Run whole = mesh("docs", "show", id, "--config", config.toString());
        assertThat(whole.out()).contains("<!-- page 1 -->").contains("<!-- page 2 -->");
        MeshCli.Run list = mesh("docs", "list", "--config", config.toString());
        assertThat(list.out()).contains("report.pdf").contains("notes.txt");
        assertThat(mesh("docs", "show", "nosuchid1", "--config", config.toString()).err()).contains("no document with id");
        assertThat(mesh("docs", "ingest", in.toString(), "--converter", "tika", "--config", config.toString()).exit()).isEqualTo(2);
    }

    @Test
    void aTaskRunsOverTheStoredDocumentsChunksAndResumesWithoutResending() throws Exception {
        try (io.micromesh.testkit.StandInServer model = io.micromesh.testkit.StandInServer.start("docs-model")
                .reply("{\"records\": [{\"quantity\": \"energy\", \"value\": \"5.4\", \"unit\": \"kWh\","
                        + " \"context\": \"a day\"}]}")) {
            Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                    server: { state-dir: "%s" }
                    models:
                      - { id: m, engine: openai, endpoints: ["%s"] }
                    """.formatted(dir.resolve("state"), model.baseUrl()));
            StringBuilder paper = new StringBuilder("# Energy of small models\n\n");
            for (int section = 1; section <= 3; section++) {
                paper.append("## Section ").append(section).append("\n\n");
                for (int p = 0; p < 3; p++) {
                    paper.append("The summaries of section ").append(section).append(" took 5.4 kWh a day on one H100, and the")
                            .append(" calls 1,000,000 minutes.\n\n");
                }
            }
            Path doc = Files.writeString(dir.resolve("paper.md"), paper);
            assertThat(mesh("docs", "ingest", doc.toString(), "--config", config.toString()).exit()).isZero();
            Path out = dir.resolve("quantities.jsonl");
            MeshCli.Run run = mesh("docs", "run", "--task", "quantities", "--route", "m", "--out", out.toString(),
                    "--chunk-tokens", "80", "--config", config.toString());
            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode summary = lastLine(run.out());
            int chunks = summary.path("chunks").asInt();
            assertThat(chunks).as("split at headings and the budget").isGreaterThanOrEqualTo(4);
            assertThat(summary.path("documents").asInt()).isEqualTo(1);
            java.util.List<String> lines = Files.readAllLines(out);
            assertThat(lines).hasSize(chunks);
            JsonNode first = Json.parseObject(lines.get(0).getBytes(StandardCharsets.UTF_8));
            assertThat(first.path("output").path("records").get(0).path("unit").asText()).as(lines.get(0)).isEqualTo("kWh");
            assertThat(model.recorded().stream().filter(r -> r.path().endsWith("/chat/completions")).count()).isEqualTo(chunks);
            assertThat(model.recorded()).as("the chunks run side by side: one of them holds the title")
                    .anySatisfy(r -> assertThat(r.body().toString()).contains("Energy of small models"));

            MeshCli.Run again = mesh("docs", "run", "--task", "quantities", "--route", "m", "--out", out.toString(),
                    "--chunk-tokens", "80", "--config", config.toString(), "--resume");
            assertThat(again.exit()).as(again.err()).isZero();
            assertThat(model.recorded().stream().filter(r -> r.path().endsWith("/chat/completions")).count())
                    .as("a resumed run of a finished job sends nothing").isEqualTo(chunks);
        }
    }

    @Test
    void aVisualPageReachesTheRoutesVisionCandidateAsAnImage() throws Exception {
        try (io.micromesh.testkit.StandInServer text = io.micromesh.testkit.StandInServer.start("text-model")
                .reply("{\"summary\": \"read as text\"}");
             io.micromesh.testkit.StandInServer eye = io.micromesh.testkit.StandInServer.start("vision-model")
                .reply("{\"summary\": \"a figure\"}")) {
            Path config = Files.writeString(dir.resolve("mesh.yaml"), """
                    server: { state-dir: "%s" }
                    models:
                      - { id: m, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 0.1, output-per-mtok: 0.1 } }
                      - { id: eye, engine: openai, endpoints: ["%s"], capabilities: [chat, json, vision],
                          price: { input-per-mtok: 2.0, output-per-mtok: 6.0 },
                          energy: { input-j-per-token: 0.5, output-j-per-token: 2.0, source: "a test's figures" } }
                    routes:
                      - { name: auto, policy: fallback, candidates: [m, eye] }
                    """.formatted(dir.resolve("state"), text.baseUrl(), eye.baseUrl()));
            Path pdf = dir.resolve("figure.pdf");
            try (PDDocument doc = new PDDocument()) {
                PDPage first = new PDPage();
                doc.addPage(first);
                try (PDPageContentStream s = new PDPageContentStream(doc, first)) {
                    s.beginText();
                    s.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 11);
                    s.newLineAtOffset(72, 700);
                    s.showText("A page of text about the energy of small models and of large ones.");
                    s.endText();
                }
                PDPage second = new PDPage();
                doc.addPage(second);
                java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(100, 140,
                        java.awt.image.BufferedImage.TYPE_INT_RGB);
                try (PDPageContentStream s = new PDPageContentStream(doc, second)) {
                    s.drawImage(org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory.createFromImage(doc, image), 20, 20, 570, 750);
                }
                doc.save(pdf.toFile());
            }
            JsonNode ingested = lastLine(mesh("docs", "ingest", pdf.toString(), "--config", config.toString()).out());
            assertThat(ingested.path("visual_pages").asInt()).isEqualTo(1);
            Path out = dir.resolve("summaries.jsonl");
            MeshCli.Run run = mesh("docs", "run", "--task", "summarize", "--out", out.toString(), "--config", config.toString());
            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode summary = lastLine(run.out());
            assertThat(summary.path("visual_pages_as_images").asInt()).isEqualTo(1);
            assertThat(summary.path("visual_pages_skipped").asInt()).isZero();
            assertThat(Files.readAllLines(out)).hasSize(2);
            JsonNode all = summary.path("all_pages_to_vision");
            assertThat(all.path("model").asText()).isEqualTo("eye");
            assertThat(all.path("pages").asInt()).isEqualTo(2);
            // 2 pages x 1,100 image tokens at 2 US$ per million, plus the answers' tokens at 6
            assertThat(all.path("cost_usd").asDouble()).isGreaterThanOrEqualTo(2 * 1100 * 2.0 / 1e6);
            assertThat(all.path("energy_wh").asDouble()).isGreaterThanOrEqualTo(2 * 1100 * 0.5 / 3600);
            assertThat(summary.path("this_run").path("cost_usd").asDouble()).as("one page only went to the vision model")
                    .isLessThan(all.path("cost_usd").asDouble());
            assertThat(summary.path("text_pages").asInt()).isEqualTo(1);
            assertThat(Files.exists(dir.resolve("summaries.jsonl.docs-report.json"))).isTrue();
            assertThat(eye.recorded()).as("the visual page went to the vision model").anySatisfy(r -> assertThat(
                    r.body().path("messages").toString()).contains("\"type\":\"image_url\"").contains("data:image/png;base64,"));
            assertThat(text.recorded()).as("the text page went to the text model, without an image").isNotEmpty()
                    .allSatisfy(r -> assertThat(r.body().path("messages").toString()).doesNotContain("image_url"));
        }
    }
}
