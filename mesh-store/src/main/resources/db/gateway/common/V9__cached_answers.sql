-- The response cache's shared tier: answers that every gateway on this store can serve again.
CREATE TABLE cached_answers (
    cache_key         TEXT PRIMARY KEY,         -- SHA-256 of the normalized request, name and scope
    body              TEXT NOT NULL,            -- the answer's JSON as the client got it
    model             TEXT NOT NULL,
    energy_method     TEXT NOT NULL,
    prompt_tokens     BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    cost_usd          DOUBLE PRECISION NOT NULL, -- what it cost when computed
    energy_wh         DOUBLE PRECISION NOT NULL,
    expires_at_ms     BIGINT NOT NULL
);
CREATE INDEX cached_answers_expiry ON cached_answers (expires_at_ms);
