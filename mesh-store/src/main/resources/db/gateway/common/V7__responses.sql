-- Responses of /v1/responses kept for GET /v1/responses/{id} and previous_response_id (store: true,
-- the default): the response as answered, and the conversation it ends (input and output items).
CREATE TABLE responses (
    id            TEXT PRIMARY KEY,        -- resp_ and 24 hex digits
    key_id        TEXT NOT NULL,           -- a response is its key's only
    created_ms    BIGINT NOT NULL,
    response      TEXT NOT NULL,           -- the response object, JSON
    conversation  TEXT NOT NULL            -- the items a later request continues, JSON array
);
CREATE INDEX responses_key ON responses (key_id, created_ms);
