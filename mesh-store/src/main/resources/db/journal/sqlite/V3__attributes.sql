-- What a job's runner keeps beside its items: for a job over Kafka, its job id and whether its items
-- were published (so that a resumed run never publishes them twice).
CREATE TABLE attributes (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
