-- The job a journal belongs to: one row.
CREATE TABLE job (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    input         TEXT NOT NULL,     -- the input file's name, for messages
    input_sha256  TEXT NOT NULL,     -- what the journal belongs to: another input is refused
    task          TEXT,
    created_ms    INTEGER NOT NULL
);

-- One row per input line; a result (or a final error) is written once, with the state.
CREATE TABLE items (
    line        INTEGER PRIMARY KEY,   -- 1-based line of the input
    custom_id   TEXT NOT NULL,
    state       TEXT NOT NULL,         -- pending | done
    result      TEXT,                  -- the output line, when done
    attempts    INTEGER NOT NULL DEFAULT 0,
    cost_usd    REAL NOT NULL DEFAULT 0,
    energy_wh   REAL NOT NULL DEFAULT 0,
    updated_ms  INTEGER
);
CREATE INDEX items_state ON items (state, line);
