package io.micromesh.engines.docs;

import java.util.List;

/**
 * A document converted to Markdown, page by page.
 *
 * @param pages its pages in order (a text file is one page)
 */
public record ConvertedDocument(List<Page> pages) {

    public ConvertedDocument {
        pages = List.copyOf(pages);
    }

    /** What a page needs to be understood. */
    public enum Kind {
        /** Its text carries it: a text model reads the Markdown. */
        TEXT,
        /** Little extractable text, or mostly images (figures, diagrams, scans): a multimodal model should see it. */
        VISUAL
    }

    /**
     * One page.
     *
     * @param number   1-based
     * @param markdown its Markdown
     * @param kind     text or visual
     * @param reason   why it was classified so (characters of text, share of the page under images)
     * @param image    a visual page rendered as a PNG, for a multimodal model; null for text pages
     */
    public record Page(int number, String markdown, Kind kind, String reason, byte[] image) {

        /** A page without an image. */
        public Page(int number, String markdown, Kind kind, String reason) {
            this(number, markdown, kind, reason, null);
        }
    }

    /** The whole document's Markdown, each page after a {@code <!-- page N -->} marker. */
    public String markdown() {
        StringBuilder all = new StringBuilder();
        for (Page page : pages) {
            all.append("<!-- page ").append(page.number()).append(" -->\n\n").append(page.markdown().strip()).append("\n\n");
        }
        return all.toString();
    }

    /** Pages classified visual. */
    public long visualPages() {
        return pages.stream().filter(p -> p.kind() == Kind.VISUAL).count();
    }
}
