-- Completions served by routes that learn, so that feedback can name them by id.
CREATE TABLE completions (
    id          TEXT PRIMARY KEY,
    route       TEXT NOT NULL,
    model       TEXT NOT NULL,
    prompt      TEXT NOT NULL,     -- the text the router embeds: the bounded window of the last user message
    created_ms  BIGINT NOT NULL
);
CREATE INDEX completions_created ON completions (created_ms);

-- Labelled outcomes: how well a model answered a prompt (1 good, 0 failed).
CREATE TABLE outcomes (
    seq           BIGSERIAL PRIMARY KEY,
    model         TEXT NOT NULL,
    prompt        TEXT NOT NULL,
    score         DOUBLE PRECISION NOT NULL CHECK (score >= 0 AND score <= 1),
    source        TEXT NOT NULL,   -- cascade | feedback
    completion_id TEXT,
    detail        TEXT,
    created_ms    BIGINT NOT NULL
);
CREATE INDEX outcomes_model ON outcomes (model, seq);
-- one feedback per completion: a second one replaces the first
CREATE UNIQUE INDEX outcomes_feedback ON outcomes (completion_id) WHERE source = 'feedback';
