package io.micromesh.engines.docs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.poi.xwpf.usermodel.IBodyElement;
import org.apache.poi.xwpf.usermodel.XWPFDocument;
import org.apache.poi.xwpf.usermodel.XWPFParagraph;
import org.apache.poi.xwpf.usermodel.XWPFTable;
import org.apache.poi.xwpf.usermodel.XWPFTableCell;
import org.apache.poi.xwpf.usermodel.XWPFTableRow;

/**
 * Converts a Word document (DOCX) to Markdown with Apache POI: headings from the paragraph styles
 * (Title, Heading 1-6), list items from numbering, tables, paragraphs. One page (a DOCX has no fixed
 * pages). POI's own guard refuses zip bombs (entries that inflate beyond its ratio).
 */
public final class DocxConverter {

    /** The converter's name and version, part of a document's content address. */
    public static String version() {
        return "poi-" + org.apache.poi.Version.getVersion() + "+rules-1";
    }

    /**
     * Converts one DOCX file.
     *
     * @throws DocumentException when it is not a readable DOCX (encrypted ones are not), or holds no text
     */
    public ConvertedDocument convert(Path file) {
        StringBuilder out = new StringBuilder();
        try (InputStream in = Files.newInputStream(file); XWPFDocument doc = new XWPFDocument(in)) {
            for (IBodyElement element : doc.getBodyElements()) {
                switch (element) {
                    case XWPFParagraph p -> paragraph(p, out);
                    case XWPFTable t -> table(t, out);
                    default -> {
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new DocumentException("not a readable DOCX (" + e.getMessage() + ")");
        }
        String markdown = out.toString().replaceAll("\n{3,}", "\n\n").strip() + "\n";
        if (markdown.isBlank()) {
            throw new DocumentException("empty: the document has no text");
        }
        return new ConvertedDocument(List.of(new ConvertedDocument.Page(1, markdown, ConvertedDocument.Kind.TEXT,
                markdown.length() + " characters of text")));
    }

    private static void paragraph(XWPFParagraph p, StringBuilder out) {
        String text = p.getText() == null ? "" : p.getText().replaceAll("\\s+", " ").strip();
        if (text.isEmpty()) {
            return;
        }
        String style = p.getStyle() == null ? "" : p.getStyle().toLowerCase(Locale.ROOT).replace(" ", "");
        int level = style.equals("title") ? 1 : style.matches("heading[1-6]") ? style.charAt(7) - '0' : 0;
        if (level > 0) {
            out.append("\n").append("#".repeat(Math.min(6, level))).append(' ').append(text).append("\n\n");
            return;
        }
        if (p.getNumID() != null) {
            String format = p.getNumFmt() == null ? "bullet" : p.getNumFmt();
            int indent = p.getNumIlvl() == null ? 0 : p.getNumIlvl().intValue();
            out.append("  ".repeat(indent)).append(format.equals("bullet") ? "- " : "1. ").append(text).append('\n');
            return;
        }
        out.append('\n').append(text.startsWith("#") || text.startsWith("|") ? "\\" + text : text).append("\n\n");
    }

    private static void table(XWPFTable table, StringBuilder out) {
        List<XWPFTableRow> rows = table.getRows();
        int columns = rows.stream().mapToInt(r -> r.getTableCells().size()).max().orElse(0);
        if (columns == 0) {
            return;
        }
        out.append('\n');
        for (int r = 0; r < rows.size(); r++) {
            out.append('|');
            List<XWPFTableCell> cells = rows.get(r).getTableCells();
            for (int c = 0; c < columns; c++) {
                out.append(' ').append(c < cells.size() ? cells.get(c).getText().replaceAll("\\s+", " ").strip().replace("|", "\\|")
                        : "").append(" |");
            }
            out.append('\n');
            if (r == 0) {
                out.append('|').append(" - |".repeat(columns)).append('\n');
            }
        }
        out.append('\n');
    }
}
