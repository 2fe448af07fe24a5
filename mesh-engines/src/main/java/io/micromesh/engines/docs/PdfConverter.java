package io.micromesh.engines.docs;

import java.awt.geom.Point2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.contentstream.PDFGraphicsStreamEngine;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.pdmodel.graphics.image.PDImage;
import org.apache.pdfbox.text.PDFTextStripper;
import org.apache.pdfbox.text.TextPosition;
import org.apache.pdfbox.util.Matrix;

/**
 * Converts a PDF to Markdown with Apache PDFBox, page by page: the glyphs of a page are grouped into
 * lines and the lines' segments (runs separated by a wide gap); two text columns are read one after
 * the other (found by a vertical gutter that almost no line crosses); consecutive lines of two or
 * more aligned segments become a Markdown table; a larger font than the body's makes a heading; a
 * bullet or a number opens a list item; the other lines join into paragraphs (hyphenated line ends
 * rejoined). Each page is classified text or visual from its characters and the share of the page
 * its images cover.
 *
 * <p>Hand-written layout analysis, since no well-kept Java library turns PDF layout into Markdown:
 * PDFBox gives glyphs and positions, Tika gives plain text; Docling (Python) is the reference and
 * can be used instead as a converter service.
 */
public final class PdfConverter {

    /** The converter's name, part of a document's content address. */
    public static final String NAME = "pdfbox";
    /** This layout analysis's own version: a change of the rules makes new conversions. */
    private static final String RULES = "1";

    private static final Pattern BULLET = Pattern.compile("^[•●▪◦‣∙·\\-–*]\\s+(.*)");
    private static final Pattern NUMBERED = Pattern.compile("^(\\d{1,3})[.)]\\s+(.*)");

    private final int maxPages;

    /** @param maxPages the most pages a document may have (a larger one is refused) */
    public PdfConverter(int maxPages) {
        this.maxPages = maxPages;
    }

    /** The version that goes into content addresses: PDFBox's and the rules'. */
    public static String version() {
        return "pdfbox-" + org.apache.pdfbox.util.Version.getVersion() + "+rules-" + RULES;
    }

    /**
     * Converts one PDF.
     *
     * @throws DocumentException naming why the file cannot be converted (not a PDF, encrypted, empty, too long)
     */
    public ConvertedDocument convert(Path file) {
        PDDocument document;
        try {
            document = Loader.loadPDF(file.toFile());
        } catch (InvalidPasswordException e) {
            throw new DocumentException("encrypted: it needs a password to open");
        } catch (IOException e) {
            throw new DocumentException("not a readable PDF (" + e.getMessage() + ")");
        }
        try (document) {
            if (document.isEncrypted() && !document.getCurrentAccessPermission().canExtractContent()) {
                throw new DocumentException("encrypted: its permissions forbid extracting text");
            }
            int count = document.getNumberOfPages();
            if (count == 0) {
                throw new DocumentException("empty: the PDF has no pages");
            }
            if (count > maxPages) {
                throw new DocumentException("too long: " + count + " pages, more than the limit of " + maxPages);
            }
            List<ConvertedDocument.Page> pages = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                pages.add(page(document, i));
            }
            return new ConvertedDocument(pages);
        } catch (IOException e) {
            throw new DocumentException("cannot be read: " + e.getMessage());
        }
    }

    private static ConvertedDocument.Page page(PDDocument document, int number) throws IOException {
        PDPage page = document.getPage(number - 1);
        Glyphs glyphs = new Glyphs();
        glyphs.setStartPage(number);
        glyphs.setEndPage(number);
        glyphs.getText(document);
        float width = page.getCropBox().getWidth();
        float height = page.getCropBox().getHeight();
        ImageArea images = new ImageArea(page);
        images.processPage(page);
        double imageShare = Math.min(1, images.area / Math.max(1, width * height));
        long characters = glyphs.all.stream().filter(g -> !g.text.isBlank()).count();
        String markdown = new Layout(glyphs.all, width).markdown();
        ConvertedDocument.Kind kind;
        String reason;
        if (imageShare >= 0.5) {
            kind = ConvertedDocument.Kind.VISUAL;
            reason = String.format(Locale.ROOT, "images cover %.0f%% of the page (%d characters of text)", imageShare * 100,
                    characters);
        } else if (characters < 100 && imageShare >= 0.1) {
            kind = ConvertedDocument.Kind.VISUAL;
            reason = String.format(Locale.ROOT, "little text (%d characters) beside images covering %.0f%%", characters,
                    imageShare * 100);
        } else if (characters < 20) {
            kind = ConvertedDocument.Kind.VISUAL;
            reason = "almost no extractable text (" + characters + " characters): a scan, a figure or a blank page";
        } else {
            kind = ConvertedDocument.Kind.TEXT;
            reason = String.format(Locale.ROOT, "%d characters of text; images cover %.0f%%", characters, imageShare * 100);
        }
        return new ConvertedDocument.Page(number, markdown, kind, reason,
                kind == ConvertedDocument.Kind.VISUAL ? render(document, number) : null);
    }

    /** A page as a PNG at 96 dots per inch (an A4 page is 794 x 1123 pixels), for a multimodal model. */
    private static byte[] render(PDDocument document, int number) throws IOException {
        java.awt.image.BufferedImage image = new org.apache.pdfbox.rendering.PDFRenderer(document)
                .renderImageWithDPI(number - 1, 96, org.apache.pdfbox.rendering.ImageType.RGB);
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(image, "png", png);
        return png.toByteArray();
    }

    /** A glyph: its text, box (top-down coordinates), font size and weight. */
    private record Glyph(String text, float x, float y, float width, float size, boolean bold) {
    }

    /** Collects a page's glyphs instead of writing text. */
    private static final class Glyphs extends PDFTextStripper {
        final List<Glyph> all = new ArrayList<>();

        Glyphs() {
            super();
        }

        @Override
        protected void processTextPosition(TextPosition t) {
            float size = t.getFontSizeInPt() > 0 ? t.getFontSizeInPt() : t.getHeightDir();
            all.add(new Glyph(t.getUnicode() == null ? "" : t.getUnicode(), t.getXDirAdj(), t.getYDirAdj(), t.getWidthDirAdj(),
                    Math.max(1, size), bold(t.getFont())));
        }

        /** Whether a font is bold: by its descriptor's weight, or by its name (TeX's CMBX and NimbusRomNo9L-Medi too). */
        private static boolean bold(org.apache.pdfbox.pdmodel.font.PDFont font) {
            if (font == null) {
                return false;
            }
            var descriptor = font.getFontDescriptor();
            if (descriptor != null && (descriptor.isForceBold() || descriptor.getFontWeight() >= 600)) {
                return true;
            }
            String name = font.getName() == null ? "" : font.getName().toLowerCase(Locale.ROOT).replaceFirst("^[a-z]{6}\\+", "");
            return name.contains("bold") || name.contains("black") || name.contains("heavy") || name.contains("semibold")
                    || name.contains("demi") || name.contains("medi") || name.matches("(cm|sf|ec|lm|tc)[a-z]*bx.*")
                    || name.contains(",bold");
        }
    }

    /** Adds up the area of the page that drawn images cover. */
    private static final class ImageArea extends PDFGraphicsStreamEngine {
        double area;

        ImageArea(PDPage page) {
            super(page);
        }

        @Override
        public void drawImage(PDImage image) {
            Matrix m = getGraphicsState().getCurrentTransformationMatrix();
            area += Math.abs(m.getScalingFactorX() * m.getScalingFactorY());
        }

        @Override
        public void appendRectangle(Point2D p0, Point2D p1, Point2D p2, Point2D p3) {
        }

        @Override
        public void clip(int windingRule) {
        }

        @Override
        public void moveTo(float x, float y) {
        }

        @Override
        public void lineTo(float x, float y) {
        }

        @Override
        public void curveTo(float x1, float y1, float x2, float y2, float x3, float y3) {
        }

        @Override
        public Point2D getCurrentPoint() {
            return new Point2D.Float(0, 0);
        }

        @Override
        public void closePath() {
        }

        @Override
        public void endPath() {
        }

        @Override
        public void strokePath() {
        }

        @Override
        public void fillPath(int windingRule) {
        }

        @Override
        public void fillAndStrokePath(int windingRule) {
        }

        @Override
        public void shadingFill(org.apache.pdfbox.cos.COSName shadingName) {
        }
    }

    /** A run of a line's text between wide gaps. */
    private record Segment(String text, float x0, float x1, float y, float size, boolean bold) {
    }

    /** A line of the page: its segments, left to right. */
    private record Line(List<Segment> segments, float y, float size) {
        String text() {
            StringBuilder s = new StringBuilder();
            for (Segment segment : segments) {
                if (!s.isEmpty()) {
                    s.append(' ');
                }
                s.append(segment.text());
            }
            return s.toString();
        }

        float x0() {
            return segments.getFirst().x0();
        }

        boolean bold() {
            return segments.stream().allMatch(Segment::bold);
        }
    }

    /** Turns a page's glyphs into Markdown. */
    private static final class Layout {
        private final List<Line> lines;
        private final float bodySize;
        private final float titleSize;

        Layout(List<Glyph> glyphs, float pageWidth) {
            this.lines = new ArrayList<>();
            for (List<Glyph> row : readingOrder(rows(glyphs), pageWidth)) {
                Line line = line(row);
                if (line != null) {
                    lines.add(line);
                }
            }
            this.bodySize = bodySize(glyphs);
            this.titleSize = (float) lines.stream().mapToDouble(Line::size).max().orElse(bodySize);
        }

        /** Groups glyphs into rows by baseline, each row left to right. */
        private static List<List<Glyph>> rows(List<Glyph> glyphs) {
            List<Glyph> sorted = new ArrayList<>(glyphs);
            sorted.sort(Comparator.comparingDouble(Glyph::y).thenComparingDouble(Glyph::x));
            List<List<Glyph>> rows = new ArrayList<>();
            List<Glyph> row = null;
            float rowY = 0;
            for (Glyph g : sorted) {
                if (row == null || Math.abs(g.y() - rowY) > 0.45f * g.size()) {
                    row = new ArrayList<>();
                    rows.add(row);
                    rowY = g.y();
                }
                row.add(g);
            }
            rows.forEach(r -> r.sort(Comparator.comparingDouble(Glyph::x)));
            return rows;
        }

        /** A row's words as boxes {x0, x1}: glyphs closer than a fifth of their size belong to one word. */
        private static List<float[]> words(List<Glyph> row) {
            List<float[]> words = new ArrayList<>();
            float[] word = null;
            for (Glyph g : row) {
                if (g.text().isBlank()) {
                    continue;
                }
                if (word != null && g.x() - word[1] <= 0.2f * g.size()) {
                    word[1] = Math.max(word[1], g.x() + g.width());
                } else {
                    word = new float[] {g.x(), g.x() + g.width()};
                    words.add(word);
                }
            }
            return words;
        }

        /** A row as a line: its segments, split where the gap is wider than a font size and a fifth. */
        private static Line line(List<Glyph> row) {
            List<Segment> segments = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            Glyph first = null;
            Glyph last = null;
            float size = 0;
            for (Glyph g : row) {
                if (last != null) {
                    float gap = g.x() - (last.x() + last.width());
                    if (gap > 1.2f * g.size()) {
                        segments.add(segment(text, first, last, size));
                        text.setLength(0);
                        first = null;
                    } else if (gap > 0.2f * g.size() && !g.text().isBlank() && !text.isEmpty()
                            && text.charAt(text.length() - 1) != ' ') {
                        text.append(' ');
                    }
                }
                if (first == null) {
                    first = g;
                    size = 0;
                }
                text.append(g.text());
                size = Math.max(size, g.size());
                last = g;
            }
            if (first != null) {
                segments.add(segment(text, first, last, size));
            }
            segments.removeIf(x -> x.text().isBlank());
            if (segments.isEmpty()) {
                return null;
            }
            float lineSize = (float) segments.stream().mapToDouble(Segment::size).max().orElse(1);
            return new Line(segments, segments.getFirst().y(), lineSize);
        }

        private static Segment segment(StringBuilder text, Glyph first, Glyph last, float size) {
            return new Segment(text.toString().strip().replaceAll("\\s+", " "), first.x(), last.x() + last.width(), first.y(),
                    size, first.bold() && last.bold());
        }

        /** The font size most characters are set in. */
        private static float bodySize(List<Glyph> glyphs) {
            Map<Integer, Integer> bySize = new HashMap<>();
            glyphs.forEach(g -> bySize.merge(Math.round(g.size() * 2), 1, Integer::sum));
            return bySize.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey() / 2f).orElse(10f);
        }

        /**
         * Reads two columns one after the other: finds a vertical gutter in the middle of the page that
         * almost no word crosses (a white river down the page, however narrow), and between rows that
         * span it (titles, captions across the page) puts the left column's rows before the right's.
         * A table's narrow cells beside a gap are not columns: each side must hold wide runs of text.
         */
        private static List<List<Glyph>> readingOrder(List<List<Glyph>> rows, float width) {
            if (rows.size() < 10) {
                return rows;
            }
            List<List<float[]>> words = rows.stream().map(Layout::words).toList();
            float best = -1;
            int bestCrossing = Integer.MAX_VALUE;
            for (float x = width * 0.3f; x <= width * 0.7f; x += 1) {
                int crossing = 0;
                for (List<float[]> row : words) {
                    for (float[] w : row) {
                        if (w[0] < x && w[1] > x) {
                            crossing++;
                            break;
                        }
                    }
                }
                if (crossing < bestCrossing) {
                    bestCrossing = crossing;
                    best = x;
                }
            }
            float gutter = best;
            float wide = width * 0.2f;
            long left = words.stream().filter(r -> span(r, 0, gutter) >= wide).count();
            long right = words.stream().filter(r -> span(r, gutter, Float.MAX_VALUE) >= wide).count();
            long needed = Math.max(5, rows.size() / 4);
            if (bestCrossing > rows.size() / 10 || left < needed || right < needed) {
                return rows;
            }
            List<List<Glyph>> ordered = new ArrayList<>();
            List<List<Glyph>> leftColumn = new ArrayList<>();
            List<List<Glyph>> rightColumn = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                boolean spans = words.get(i).stream().anyMatch(w -> w[0] < gutter && w[1] > gutter);
                if (spans) {
                    ordered.addAll(leftColumn);
                    ordered.addAll(rightColumn);
                    leftColumn.clear();
                    rightColumn.clear();
                    ordered.add(rows.get(i));
                    continue;
                }
                List<Glyph> l = rows.get(i).stream().filter(g -> g.x() < gutter).toList();
                List<Glyph> r = rows.get(i).stream().filter(g -> g.x() >= gutter).toList();
                if (!l.isEmpty()) {
                    leftColumn.add(l);
                }
                if (!r.isEmpty()) {
                    rightColumn.add(r);
                }
            }
            ordered.addAll(leftColumn);
            ordered.addAll(rightColumn);
            return ordered;
        }

        /** From the first to the last word of a row within [from, to). */
        private static float span(List<float[]> row, float from, float to) {
            float x0 = Float.MAX_VALUE;
            float x1 = -Float.MAX_VALUE;
            for (float[] w : row) {
                if (w[0] >= from && w[1] <= to) {
                    x0 = Math.min(x0, w[0]);
                    x1 = Math.max(x1, w[1]);
                }
            }
            return x1 - x0;
        }

        String markdown() {
            StringBuilder out = new StringBuilder();
            int i = 0;
            while (i < lines.size()) {
                int tableEnd = tableEnd(i);
                if (tableEnd > i + 1) {
                    table(out, lines.subList(i, tableEnd));
                    i = tableEnd;
                    continue;
                }
                i = block(out, i);
            }
            return out.toString().strip() + "\n";
        }

        /**
         * Where a table that starts at {@code from} ends: consecutive lines of two or more segments, the
         * second aligned with the first (then rows of other counts join: merged and empty cells).
         */
        private int tableEnd(int from) {
            if (from + 1 >= lines.size() || lines.get(from).segments().size() < 2 || lines.get(from + 1).segments().size() < 2
                    || !aligned(lines.get(from), lines.get(from + 1))) {
                return from;
            }
            int end = from + 2;
            while (end < lines.size() && lines.get(end).segments().size() >= 2 && !lines.get(end).bold()) {
                end++;
            }
            return end;
        }

        /** Whether two lines' segments start at about the same places (a table's columns). */
        private static boolean aligned(Line a, Line b) {
            int matched = 0;
            for (Segment s : b.segments()) {
                for (Segment t : a.segments()) {
                    if (Math.abs(s.x0() - t.x0()) < 2 * s.size() || Math.abs(s.x1() - t.x1()) < 2 * s.size()) {
                        matched++;
                        break;
                    }
                }
            }
            return matched >= Math.min(2, b.segments().size()) && Math.abs(a.segments().size() - b.segments().size()) <= 1;
        }

        private static void table(StringBuilder out, List<Line> rows) {
            int columns = rows.stream().mapToInt(r -> r.segments().size()).max().orElse(2);
            for (int r = 0; r < rows.size(); r++) {
                out.append('|');
                List<Segment> cells = rows.get(r).segments();
                for (int c = 0; c < columns; c++) {
                    out.append(' ').append(c < cells.size() ? cells.get(c).text().replace("|", "\\|") : "").append(" |");
                }
                out.append('\n');
                if (r == 0) {
                    out.append('|').append(" - |".repeat(columns)).append('\n');
                }
            }
            out.append('\n');
        }

        /** Writes the heading, list item or paragraph that starts at {@code from}; returns where the next starts. */
        private int block(StringBuilder out, int from) {
            Line first = lines.get(from);
            String text = first.text();
            if (heading(first) && text.length() < 200) {
                out.append(first.size() >= titleSize && first.size() >= 1.5f * bodySize ? "# " : "## ").append(text).append("\n\n");
                return from + 1;
            }
            var bullet = BULLET.matcher(text);
            var numbered = NUMBERED.matcher(text);
            String marker = bullet.matches() ? "- " : numbered.matches() ? numbered.group(1) + ". " : null;
            StringBuilder block = new StringBuilder(marker == null ? text : bullet.matches() ? bullet.group(1) : numbered.group(2));
            int i = from + 1;
            while (i < lines.size()) {
                Line previous = lines.get(i - 1);
                Line next = lines.get(i);
                String nextText = next.text();
                boolean startsItem = BULLET.matcher(nextText).matches() || NUMBERED.matcher(nextText).matches();
                float gap = next.y() - previous.y();
                if (startsItem || heading(next) || next.segments().size() >= 2 && tableEnd(i) > i + 1
                        || gap > 1.8f * previous.size() || gap < 0 || Math.abs(next.size() - previous.size()) > 0.15f * previous.size()) {
                    break;
                }
                join(block, nextText);
                i++;
            }
            String body = marker == null && (block.charAt(0) == '#' || block.charAt(0) == '|' || block.charAt(0) == '>')
                    ? "\\" + block : block.toString();  // a paragraph that would read as a heading, a table or a quote
            out.append(marker == null ? "" : marker).append(body).append(marker == null ? "\n\n" : "\n");
            if (marker != null && (i >= lines.size() || !isItem(lines.get(i)))) {
                out.append('\n');
            }
            return i;
        }

        private static boolean isItem(Line line) {
            return BULLET.matcher(line.text()).matches() || NUMBERED.matcher(line.text()).matches();
        }

        /** A line set larger than the body, or bold and short, alone. */
        private boolean heading(Line line) {
            String text = line.text();
            boolean larger = line.size() >= 1.15f * bodySize;
            boolean boldShort = line.bold() && text.split("\\s+").length <= 12 && !text.endsWith(".");
            return (larger || boldShort) && text.chars().anyMatch(Character::isLetter)
                    && (line.segments().size() == 1 || line.segments().size() == 2 && line.segments().getFirst().text()
                    .matches("[0-9A-Z]{1,3}(\\.[0-9]{1,3})*\\.?"));
        }

        /** Appends a line to a paragraph, rejoining a word hyphenated at the line's end. */
        private static void join(StringBuilder block, String next) {
            int last = block.length() - 1;
            if (last > 0 && block.charAt(last) == '-' && Character.isLetter(block.charAt(last - 1)) && !next.isEmpty()
                    && Character.isLowerCase(next.charAt(0))) {
                block.setLength(last);
                block.append(next);
            } else {
                block.append(' ').append(next);
            }
        }
    }
}
