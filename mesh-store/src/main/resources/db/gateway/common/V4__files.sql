-- Files uploaded through /v1/files (batch inputs, and later the outputs of batches); the bytes are in
-- the state folder's files/ under the id, written before the row, removed after it is marked deleted.
CREATE TABLE files (
    id          TEXT PRIMARY KEY,        -- file- and 24 hex digits
    key_id      TEXT NOT NULL,           -- the key that uploaded it
    filename    TEXT NOT NULL,
    purpose     TEXT NOT NULL,           -- batch (batch_output for outputs)
    bytes       BIGINT NOT NULL,
    created_ms  BIGINT NOT NULL,
    deleted_ms  BIGINT                   -- null while it exists
);
CREATE INDEX files_key ON files (key_id, created_ms);
