-- Batches of the Batch API (/v1/batches). Each runs on a journaled job (its journal is a file in the
-- state folder of the gateway that runs it, named in node); this row is what clients read.
CREATE TABLE batches (
    id                TEXT PRIMARY KEY,        -- batch_ and 24 hex digits
    key_id            TEXT NOT NULL,           -- the key that created it, charged for its requests
    node              TEXT NOT NULL,           -- the gateway (state folder) that runs it and resumes it
    endpoint          TEXT NOT NULL,           -- /v1/chat/completions, /v1/completions or /v1/embeddings
    input_file_id     TEXT NOT NULL,
    completion_window TEXT NOT NULL,
    metadata          TEXT,                    -- a JSON object, or null
    status            TEXT NOT NULL,           -- validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled
    created_ms        BIGINT NOT NULL,
    expires_ms        BIGINT NOT NULL,
    in_progress_ms    BIGINT,
    finalizing_ms     BIGINT,
    completed_ms      BIGINT,
    failed_ms         BIGINT,
    expired_ms        BIGINT,
    cancelling_ms     BIGINT,
    cancelled_ms      BIGINT,
    total             BIGINT NOT NULL DEFAULT 0,
    completed         BIGINT NOT NULL DEFAULT 0,
    failed            BIGINT NOT NULL DEFAULT 0,
    cost_usd          DOUBLE PRECISION NOT NULL DEFAULT 0,
    energy_wh         DOUBLE PRECISION NOT NULL DEFAULT 0,
    output_file_id    TEXT,
    error_file_id     TEXT,
    errors            TEXT                     -- a JSON array of {code, message, param, line}, or null
);
CREATE INDEX batches_key ON batches (key_id, created_ms);
CREATE INDEX batches_status ON batches (status);
