-- Whether an item's output line is an error (a final failure, or an input line that could not run):
-- the Batch API puts those in the batch's error file, and counts them in request_counts.failed.
ALTER TABLE items ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
UPDATE items SET failed = 1 WHERE state = 'done' AND result LIKE '%"error":{%';
