package io.micromesh.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The index of converted documents in the gateway's store: what each is, where it came from, its
 * pages and how each was classified. The Markdown itself is in files beside (the document store's
 * folder). A document is written in one transaction, so the index never names half a document.
 * Thread-safe.
 */
public final class DocumentIndex {

    /**
     * A document as indexed.
     *
     * @param id        content address: SHA-256 of the bytes, the converter and its version
     * @param converter the converter's name and version
     */
    public record Document(String id, String path, String contentSha256, String converter, long pages, long visualPages,
                           Instant created) {
    }

    /** A page's classification. */
    public record Page(int page, String kind, String reason) {
    }

    private final Database db;
    private final Clock clock;

    public DocumentIndex(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** Indexes a document and its pages; a document already indexed is left as it is. */
    public void put(Document document, List<Page> pages) {
        db.inTransaction(c -> {
            try (PreparedStatement exists = c.prepareStatement("SELECT 1 FROM documents WHERE id = ?")) {
                exists.setString(1, document.id());
                try (ResultSet r = exists.executeQuery()) {
                    if (r.next()) {
                        return 0;
                    }
                }
            }
            try (PreparedStatement st = c.prepareStatement("INSERT INTO documents (id, path, content_sha256, converter, pages,"
                    + " visual_pages, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                st.setString(1, document.id());
                st.setString(2, document.path());
                st.setString(3, document.contentSha256());
                st.setString(4, document.converter());
                st.setLong(5, document.pages());
                st.setLong(6, document.visualPages());
                st.setLong(7, clock.millis());
                st.executeUpdate();
            }
            try (PreparedStatement st = c.prepareStatement("INSERT INTO document_pages (id, page, kind, reason) VALUES (?, ?, ?, ?)")) {
                for (Page page : pages) {
                    st.setString(1, document.id());
                    st.setInt(2, page.page());
                    st.setString(3, page.kind());
                    st.setString(4, page.reason());
                    st.addBatch();
                }
                st.executeBatch();
            }
            return 1;
        });
    }

    /** The document with this id, or whose id starts with it (at least 8 characters, unambiguous). */
    public Optional<Document> get(String idOrPrefix) {
        List<Document> found = select(" WHERE id = ? OR (LENGTH(?) >= 8 AND id LIKE ?)", idOrPrefix, idOrPrefix,
                idOrPrefix.replace("%", "").replace("_", "") + "%");
        return found.size() == 1 ? Optional.of(found.get(0))
                : found.stream().filter(d -> d.id().equals(idOrPrefix)).findFirst();
    }

    /** Every document, newest first. */
    public List<Document> list() {
        return select(" ORDER BY created_ms DESC, id");
    }

    /** A document's pages, in order. */
    public List<Page> pages(String id) {
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT page, kind, reason FROM document_pages WHERE id = ? ORDER BY page")) {
                st.setString(1, id);
                List<Page> pages = new ArrayList<>();
                try (ResultSet r = st.executeQuery()) {
                    while (r.next()) {
                        pages.add(new Page(r.getInt(1), r.getString(2), r.getString(3)));
                    }
                }
                return pages;
            }
        });
    }

    private List<Document> select(String where, Object... values) {
        return db.query(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT id, path, content_sha256, converter, pages, visual_pages,"
                    + " created_ms FROM documents" + where)) {
                for (int i = 0; i < values.length; i++) {
                    st.setObject(i + 1, values[i]);
                }
                List<Document> documents = new ArrayList<>();
                try (ResultSet r = st.executeQuery()) {
                    while (r.next()) {
                        documents.add(read(r));
                    }
                }
                return documents;
            }
        });
    }

    private static Document read(ResultSet r) throws SQLException {
        return new Document(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getLong(5), r.getLong(6),
                Instant.ofEpochMilli(r.getLong(7)));
    }
}
