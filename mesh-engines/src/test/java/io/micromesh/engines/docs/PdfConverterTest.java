package io.micromesh.engines.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PDF converter on PDFs made here with PDFBox: a title, a bold heading, paragraphs over several
 * lines, a list, a table, two columns read one after the other, an image-only page classified
 * visual; encrypted and broken files refused with the reason.
 */
@Timeout(60)
class PdfConverterTest {

    private static final PDType1Font REGULAR = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
    private static final PDType1Font BOLD = new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD);

    @TempDir
    Path dir;

    private static void text(PDPageContentStream page, PDType1Font font, float size, float x, float y, String text)
            throws Exception {
        page.beginText();
        page.setFont(font, size);
        page.newLineAtOffset(x, y);
        page.showText(text);
        page.endText();
    }

    @Test
    void aPageOfTitleHeadingParagraphsListAndTableBecomesItsMarkdown() throws Exception {
        Path file = dir.resolve("report.pdf");
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                text(s, REGULAR, 24, 72, 770, "Energy of small models");
                text(s, BOLD, 11, 72, 730, "Methods");
                text(s, REGULAR, 11, 72, 712, "We measured every model on the same machine and com-");
                text(s, REGULAR, 11, 72, 698, "pared the results with the published figures of each");
                text(s, REGULAR, 11, 72, 684, "vendor, over one week of calls.");
                text(s, REGULAR, 11, 72, 656, "• the small model answers first");
                text(s, REGULAR, 11, 72, 642, "• the large model only when needed");
                text(s, REGULAR, 11, 72, 610, "Model");
                text(s, REGULAR, 11, 220, 610, "Tokens per second");
                text(s, REGULAR, 11, 380, 610, "Watts");
                text(s, REGULAR, 11, 72, 596, "granite-2b");
                text(s, REGULAR, 11, 220, 596, "8.6");
                text(s, REGULAR, 11, 380, 596, "30");
                text(s, REGULAR, 11, 72, 582, "llama-8b");
                text(s, REGULAR, 11, 220, 582, "5777");
                text(s, REGULAR, 11, 380, 582, "700");
            }
            doc.save(file.toFile());
        }
        ConvertedDocument converted = new PdfConverter(100).convert(file);
        String md = converted.pages().getFirst().markdown();
        assertThat(md).contains("# Energy of small models\n");
        assertThat(md).contains("## Methods\n");
        assertThat(md).as("lines joined, the hyphenated word rejoined").contains("We measured every model on the same machine and"
                + " compared the results with the published figures of each vendor, over one week of calls.");
        assertThat(md).contains("- the small model answers first\n- the large model only when needed\n");
        assertThat(md).contains("| Model | Tokens per second | Watts |\n| - | - | - |\n| granite-2b | 8.6 | 30 |\n"
                + "| llama-8b | 5777 | 700 |");
        assertThat(converted.pages().getFirst().kind()).isEqualTo(ConvertedDocument.Kind.TEXT);
        assertThat(converted.markdown()).startsWith("<!-- page 1 -->");
    }

    @Test
    void twoColumnsAreReadLeftThenRight() throws Exception {
        Path file = dir.resolve("columns.pdf");
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                text(s, REGULAR, 18, 72, 780, "A paper in two columns across the whole width of the page");
                for (int i = 0; i < 12; i++) {
                    text(s, REGULAR, 10, 60, 740 - i * 14, "left column line " + (i + 1) + " of the text");
                    text(s, REGULAR, 10, 320, 740 - i * 14, "right column line " + (i + 1) + " continues");
                }
            }
            doc.save(file.toFile());
        }
        String md = new PdfConverter(100).convert(file).pages().getFirst().markdown();
        assertThat(md.indexOf("left column line 12")).as(md).isLessThan(md.indexOf("right column line 1 "));
        assertThat(md.indexOf("A paper in two columns")).isLessThan(md.indexOf("left column line 1 "));
    }

    @Test
    void anImageOnlyPageIsVisualAndSaysWhy() throws Exception {
        Path file = dir.resolve("figure.pdf");
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            BufferedImage image = new BufferedImage(200, 280, BufferedImage.TYPE_INT_RGB);
            for (int x = 0; x < 200; x++) {
                for (int y = 0; y < 280; y++) {
                    image.setRGB(x, y, (x * 7 + y * 13) & 0xffffff);
                }
            }
            try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                s.drawImage(LosslessFactory.createFromImage(doc, image), 20, 20, 555, 800);
            }
            doc.save(file.toFile());
        }
        ConvertedDocument.Page page = new PdfConverter(100).convert(file).pages().getFirst();
        assertThat(page.kind()).isEqualTo(ConvertedDocument.Kind.VISUAL);
        assertThat(page.reason()).contains("images cover");
    }

    @Test
    void encryptedBrokenAndTooLongFilesAreRefusedWithTheReason() throws Exception {
        Path locked = dir.resolve("locked.pdf");
        try (PDDocument doc = new PDDocument()) {
            doc.addPage(new PDPage());
            StandardProtectionPolicy policy = new StandardProtectionPolicy("owner", "user", new AccessPermission());
            policy.setEncryptionKeyLength(128);
            doc.protect(policy);
            doc.save(locked.toFile());
        }
        assertThatThrownBy(() -> new PdfConverter(100).convert(locked)).isInstanceOf(DocumentException.class)
                .hasMessageContaining("encrypted");
        Path broken = Files.writeString(dir.resolve("broken.pdf"), "%PDF-1.7 this is not a PDF");
        assertThatThrownBy(() -> new PdfConverter(100).convert(broken)).isInstanceOf(DocumentException.class)
                .hasMessageContaining("not a readable PDF");
        Path longer = dir.resolve("three.pdf");
        try (PDDocument doc = new PDDocument()) {
            for (int i = 0; i < 3; i++) {
                doc.addPage(new PDPage());
            }
            doc.save(longer.toFile());
        }
        assertThatThrownBy(() -> new PdfConverter(2).convert(longer)).isInstanceOf(DocumentException.class)
                .hasMessageContaining("too long: 3 pages");
    }
}
