package io.micromesh.jobs.docs;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a document's Markdown into chunks for a task: at headings first (a chunk starts at a heading
 * and keeps its section together), then, when a section is longer than the budget, at paragraph
 * boundaries; a paragraph longer than the budget alone is cut at word boundaries. Each chunk knows
 * the pages it spans (from the {@code <!-- page N -->} markers).
 */
public final class Chunks {

    private static final Pattern PAGE = Pattern.compile("<!-- page (\\d+) -->");

    /**
     * A chunk.
     *
     * @param text      its Markdown, without page markers
     * @param firstPage the page it starts on
     * @param lastPage  the page it ends on
     */
    public record Chunk(String text, int firstPage, int lastPage) {
    }

    private Chunks() {
    }

    /** Tokens a text counts for the budget: about four characters a token, as tokenizers of English give. */
    public static int tokens(String text) {
        return (text.length() + 3) / 4;
    }

    /**
     * The chunks of a document's Markdown.
     *
     * @param budget the most tokens a chunk holds (about)
     */
    public static List<Chunk> of(String markdown, int budget) {
        if (budget < 16) {
            throw new IllegalArgumentException("a chunk's budget is at least 16 tokens");
        }
        // paragraphs, each with its page
        List<String> paragraphs = new ArrayList<>();
        List<Integer> pages = new ArrayList<>();
        int page = 1;
        for (String block : markdown.split("\\n\\s*\\n")) {
            Matcher m = PAGE.matcher(block);
            while (m.find()) {
                page = Integer.parseInt(m.group(1));
            }
            String text = PAGE.matcher(block).replaceAll("").strip();
            if (!text.isEmpty()) {
                paragraphs.add(text);
                pages.add(page);
            }
        }
        List<Chunk> chunks = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int first = -1;
        int last = -1;
        for (int i = 0; i < paragraphs.size(); i++) {
            String p = paragraphs.get(i);
            boolean heading = p.startsWith("#");
            if (!current.isEmpty() && (heading || tokens(current.toString()) + tokens(p) > budget)) {
                chunks.add(new Chunk(current.toString().strip(), first, last));
                current.setLength(0);
            }
            if (current.isEmpty()) {
                first = pages.get(i);
            }
            last = pages.get(i);
            if (tokens(p) > budget) {  // a paragraph larger than a chunk alone: cut it at words
                for (String piece : cut(p, budget)) {
                    if (!current.isEmpty()) {
                        chunks.add(new Chunk(current.toString().strip(), first, last));
                        current.setLength(0);
                        first = last;
                    }
                    current.append(piece);
                }
                continue;
            }
            current.append(p).append("\n\n");
        }
        if (!current.isEmpty()) {
            chunks.add(new Chunk(current.toString().strip(), first, last));
        }
        return chunks;
    }

    private static List<String> cut(String text, int budget) {
        List<String> pieces = new ArrayList<>();
        StringBuilder piece = new StringBuilder();
        for (String word : text.split("\\s+")) {
            if (!piece.isEmpty() && tokens(piece.toString()) + tokens(word) + 1 > budget) {
                pieces.add(piece.toString());
                piece.setLength(0);
            }
            piece.append(piece.isEmpty() ? "" : " ").append(word);
        }
        if (!piece.isEmpty()) {
            pieces.add(piece.toString());
        }
        return pieces;
    }
}
