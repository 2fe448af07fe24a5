-- The usage ledger: one row per request (or batch item) the dispatcher served, whatever its outcome.
-- Portable SQL: SQLite gives BIGINT integer affinity and DOUBLE PRECISION real affinity.
CREATE TABLE usage_records (
    request_id        TEXT NOT NULL,            -- x-request-id (a caller's may repeat: no key)
    at_ms             BIGINT NOT NULL,          -- arrival, epoch milliseconds
    key_id            TEXT NOT NULL,            -- the API key's id; anonymous, master or local otherwise
    workflow_id       TEXT NOT NULL,            -- x-mesh-workflow, empty when none
    route             TEXT NOT NULL,
    policy            TEXT NOT NULL,
    model             TEXT NOT NULL,
    replica           TEXT NOT NULL,
    lane              TEXT NOT NULL,
    task              TEXT NOT NULL,
    prompt_tokens     BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    cached_tokens     BIGINT NOT NULL,
    tokens_estimated  BOOLEAN NOT NULL,         -- the upstream reported no usage: micromesh estimated it
    audio_seconds     DOUBLE PRECISION NOT NULL,
    latency_ms        DOUBLE PRECISION NOT NULL,
    ttft_ms           DOUBLE PRECISION,         -- null when nothing was streamed
    status            TEXT NOT NULL,            -- ok, client_gone, or the failure
    cost_usd          DOUBLE PRECISION NOT NULL,
    energy_wh         DOUBLE PRECISION NOT NULL,
    energy_method     TEXT NOT NULL,
    attempts          TEXT NOT NULL             -- every model call, a JSON array
);
CREATE INDEX usage_records_at ON usage_records (at_ms);
CREATE INDEX usage_records_key ON usage_records (key_id, at_ms);
