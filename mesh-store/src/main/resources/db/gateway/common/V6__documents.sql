-- Documents converted once (mesh docs ingest): the Markdown is in files of the document store's
-- folder, under the id; this is their index. The id is content-addressed: the SHA-256 of the file's
-- bytes, the converter and its version, so that the same file is never converted twice by them.
CREATE TABLE documents (
    id              TEXT PRIMARY KEY,
    path            TEXT NOT NULL,           -- where it was first ingested from
    content_sha256  TEXT NOT NULL,
    converter       TEXT NOT NULL,           -- its name and version
    pages           BIGINT NOT NULL,
    visual_pages    BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL
);
CREATE TABLE document_pages (
    id      TEXT NOT NULL,
    page    BIGINT NOT NULL,
    kind    TEXT NOT NULL,                   -- text or visual
    reason  TEXT NOT NULL,
    PRIMARY KEY (id, page)
);
