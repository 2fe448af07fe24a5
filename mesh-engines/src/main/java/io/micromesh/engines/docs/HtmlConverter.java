package io.micromesh.engines.docs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

/**
 * Converts an HTML page to Markdown with jsoup: headings, paragraphs, lists (nested), tables,
 * preformatted blocks and quotes; scripts, styles and navigation are left out. One page.
 */
public final class HtmlConverter {

    /** The converter's name and version, part of a document's content address. */
    public static String version() {
        return "jsoup-" + Jsoup.class.getPackage().getImplementationVersion() + "+rules-1";
    }

    /**
     * Converts one HTML file.
     *
     * @throws DocumentException when it cannot be read or holds no text
     */
    public ConvertedDocument convert(Path file) {
        Document html;
        try {
            html = Jsoup.parse(file.toFile(), null);
        } catch (IOException e) {
            throw new DocumentException("unreadable: " + e.getMessage());
        }
        html.select("script, style, noscript, nav, header > nav, template, svg").remove();
        StringBuilder out = new StringBuilder();
        if (html.title() != null && !html.title().isBlank() && html.select("h1").isEmpty()) {
            out.append("# ").append(html.title().strip()).append("\n\n");
        }
        blocks(html.body(), out, 0);
        String markdown = out.toString().replaceAll("\n{3,}", "\n\n").strip() + "\n";
        if (markdown.isBlank()) {
            throw new DocumentException("empty: the page has no text");
        }
        return new ConvertedDocument(List.of(new ConvertedDocument.Page(1, markdown, ConvertedDocument.Kind.TEXT,
                markdown.length() + " characters of text")));
    }

    private static void blocks(Element parent, StringBuilder out, int depth) {
        StringBuilder loose = new StringBuilder();  // text directly inside a container, outside any block
        for (Node node : parent.childNodes()) {
            if (node instanceof TextNode text) {
                loose.append(text.text());
                continue;
            }
            if (!(node instanceof Element e)) {
                continue;
            }
            String tag = e.tagName();
            if (!isBlock(tag)) {
                loose.append(inline(e));
                continue;
            }
            flush(loose, out);
            switch (tag) {
                case "h1", "h2", "h3", "h4", "h5", "h6" -> out.append("#".repeat(tag.charAt(1) - '0')).append(' ')
                        .append(e.text().strip()).append("\n\n");
                case "p" -> paragraph(inlineText(e), out);
                case "ul", "ol" -> {
                    list(e, out, depth);
                    out.append('\n');
                }
                case "table" -> table(e, out);
                case "pre" -> out.append("```\n").append(e.wholeText().strip()).append("\n```\n\n");
                case "blockquote" -> out.append("> ").append(e.text().strip()).append("\n\n");
                case "br" -> loose.append('\n');
                case "hr" -> out.append("---\n\n");
                default -> blocks(e, out, depth);
            }
        }
        flush(loose, out);
    }

    private static boolean isBlock(String tag) {
        return switch (tag) {
            case "h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "table", "pre", "blockquote", "div", "section", "article",
                 "main", "header", "footer", "aside", "figure", "figcaption", "body", "hr", "dl", "form", "details" -> true;
            default -> false;
        };
    }

    private static void flush(StringBuilder loose, StringBuilder out) {
        paragraph(loose.toString(), out);
        loose.setLength(0);
    }

    private static void paragraph(String text, StringBuilder out) {
        String t = text.replaceAll("\\s+", " ").strip();
        if (!t.isEmpty()) {
            out.append(t.startsWith("#") || t.startsWith("|") ? "\\" + t : t).append("\n\n");
        }
    }

    /** An element's text with its inline marks: code in backticks, emphasis and strong kept. */
    private static String inlineText(Element e) {
        StringBuilder s = new StringBuilder();
        for (Node node : e.childNodes()) {
            s.append(node instanceof TextNode t ? t.text() : node instanceof Element child ? inline(child) : "");
        }
        return s.toString();
    }

    private static String inline(Element e) {
        String text = inlineText(e);
        return switch (e.tagName()) {
            case "code" -> "`" + e.text() + "`";
            case "strong", "b" -> text.isBlank() ? text : "**" + text.strip() + "**";
            case "em", "i" -> text.isBlank() ? text : "*" + text.strip() + "*";
            case "br" -> "\n";
            default -> text;
        };
    }

    private static void list(Element list, StringBuilder out, int depth) {
        int n = 0;
        for (Element item : list.children()) {
            if (!item.tagName().equals("li")) {
                continue;
            }
            n++;
            StringBuilder own = new StringBuilder();
            for (Node node : item.childNodes()) {
                if (node instanceof Element child && (child.tagName().equals("ul") || child.tagName().equals("ol"))) {
                    continue;
                }
                own.append(node instanceof TextNode t ? t.text() : node instanceof Element child ? inline(child) : "");
            }
            out.append("  ".repeat(depth)).append(list.tagName().equals("ol") ? n + ". " : "- ")
                    .append(own.toString().replaceAll("\\s+", " ").strip()).append('\n');
            for (Element nested : item.children()) {
                if (nested.tagName().equals("ul") || nested.tagName().equals("ol")) {
                    list(nested, out, depth + 1);
                }
            }
        }
    }

    private static void table(Element table, StringBuilder out) {
        var rows = table.select("tr");
        int columns = rows.stream().mapToInt(r -> r.select("th, td").size()).max().orElse(0);
        if (columns == 0) {
            return;
        }
        boolean first = true;
        for (Element row : rows) {
            out.append('|');
            var cells = row.select("th, td");
            for (int c = 0; c < columns; c++) {
                out.append(' ').append(c < cells.size() ? cells.get(c).text().strip().replace("|", "\\|") : "").append(" |");
            }
            out.append('\n');
            if (first) {
                out.append('|').append(" - |".repeat(columns)).append('\n');
                first = false;
            }
        }
        out.append('\n');
    }
}
