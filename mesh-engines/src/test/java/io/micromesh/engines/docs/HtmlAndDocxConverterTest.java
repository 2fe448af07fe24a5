package io.micromesh.engines.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.poi.xwpf.usermodel.XWPFDocument;
import org.apache.poi.xwpf.usermodel.XWPFTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** HTML (jsoup) and DOCX (POI) to Markdown: headings, paragraphs, lists, tables; what is not a document is refused. */
@Timeout(60)
class HtmlAndDocxConverterTest {

    @TempDir
    Path dir;

    @Test
    void anHtmlPageBecomesMarkdownWithoutItsScripts() throws Exception {
        Path page = Files.writeString(dir.resolve("page.html"), """
                <html><head><title>Report</title><script>var secret = 1;</script><style>p { color: red }</style></head>
                <body><nav><a href="/">home</a></nav>
                <h1>Energy of small models</h1>
                <p>We measured <b>every</b> model on the <code>same</code> machine.</p>
                <ul><li>small first<ul><li>then larger</li></ul></li><li>escalate rarely</li></ul>
                <ol><li>measure</li><li>plan</li></ol>
                <table><tr><th>Model</th><th>Watts</th></tr><tr><td>granite-2b</td><td>30</td></tr></table>
                <pre>mesh plan --workload w.yaml</pre>
                </body></html>
                """);
        String md = new HtmlConverter().convert(page).pages().getFirst().markdown();
        assertThat(md).contains("# Energy of small models\n\nWe measured **every** model on the `same` machine.");
        assertThat(md).contains("- small first\n  - then larger\n- escalate rarely\n");
        assertThat(md).contains("1. measure\n2. plan\n");
        assertThat(md).contains("| Model | Watts |\n| - | - |\n| granite-2b | 30 |");
        assertThat(md).contains("```\nmesh plan --workload w.yaml\n```");
        assertThat(md).doesNotContain("secret").doesNotContain("color").doesNotContain("home");
    }

    @Test
    void aWordDocumentBecomesMarkdownAndABrokenOneIsRefused() throws Exception {
        Path docx = dir.resolve("memo.docx");
        try (XWPFDocument doc = new XWPFDocument(); OutputStream out = Files.newOutputStream(docx)) {
            var title = doc.createParagraph();
            title.setStyle("Heading1");
            title.createRun().setText("Quarterly calls");
            doc.createParagraph().createRun().setText("The call center took 130,000 calls a day.");
            XWPFTable table = doc.createTable(2, 2);
            table.getRow(0).getCell(0).setText("Month");
            table.getRow(0).getCell(1).setText("Calls");
            table.getRow(1).getCell(0).setText("October");
            table.getRow(1).getCell(1).setText("4,030,000");
            doc.write(out);
        }
        String md = new DocxConverter().convert(docx).pages().getFirst().markdown();
        assertThat(md).startsWith("# Quarterly calls\n\nThe call center took 130,000 calls a day.");
        assertThat(md).contains("| Month | Calls |\n| - | - |\n| October | 4,030,000 |");
        Path broken = Files.writeString(dir.resolve("broken.docx"), "not a zip");
        assertThatThrownBy(() -> new DocxConverter().convert(broken)).isInstanceOf(DocumentException.class)
                .hasMessageContaining("not a readable DOCX");
    }
}
