-- API keys: the secret is kept only as its SHA-256 (a random 256-bit secret needs no slow hash).
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,          -- key_ + 16 hex digits, shown in the ledger
    name          TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL UNIQUE,      -- hex
    prefix        TEXT NOT NULL,             -- the secret's first characters, to recognise it
    budget_usd    DOUBLE PRECISION,          -- null: no cost budget
    budget_wh     DOUBLE PRECISION,          -- null: no energy budget
    budget_period TEXT,                      -- day | month | total
    rpm           BIGINT,                    -- requests per minute, null: no limit
    tpm           BIGINT,                    -- tokens per minute
    concurrency   BIGINT,                    -- requests at once
    models        TEXT,                      -- JSON array of the models and routes it may use; null: all
    created_ms    BIGINT NOT NULL,
    revoked_ms    BIGINT                     -- null while it works
);

-- What a budget's subject (key:ID or workflow:ID) has spent and holds reserved, per period.
CREATE TABLE budget_spend (
    subject       TEXT NOT NULL,
    period_start  BIGINT NOT NULL,           -- epoch ms of the period's start (UTC); 0 for total
    spent_usd     DOUBLE PRECISION NOT NULL,
    spent_wh      DOUBLE PRECISION NOT NULL,
    reserved_usd  DOUBLE PRECISION NOT NULL,
    reserved_wh   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (subject, period_start)
);

-- Requests in flight that hold a reservation; one that outlives expires_ms (its gateway died) is
-- settled by any instance at its reserved amount.
CREATE TABLE reservations (
    id            TEXT PRIMARY KEY,
    key_id        TEXT NOT NULL,
    workflow_id   TEXT NOT NULL,
    key_period    BIGINT,                    -- the key budget's period start, null when the key has none
    wf_period     BIGINT,                    -- the workflow budget's, null when none
    usd           DOUBLE PRECISION NOT NULL,
    wh            DOUBLE PRECISION NOT NULL,
    tokens        BIGINT NOT NULL,
    rate_window   BIGINT,                    -- the minute its tokens were counted in, null without limits
    expires_ms    BIGINT NOT NULL
);
CREATE INDEX reservations_key ON reservations (key_id, expires_ms);
CREATE INDEX reservations_expiry ON reservations (expires_ms);

-- Requests and tokens per key per minute (fixed one-minute windows).
CREATE TABLE rate_windows (
    key_id        TEXT NOT NULL,
    window_start  BIGINT NOT NULL,           -- epoch ms of the minute
    requests      BIGINT NOT NULL,
    tokens        BIGINT NOT NULL,
    PRIMARY KEY (key_id, window_start)
);
