-- The response cache's part in each request: hit, miss, bypass (empty when the cache did not look),
-- and for a hit what the original answer had cost, so the ledger can say what caching saved.
ALTER TABLE usage_records ADD COLUMN cache TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_records ADD COLUMN saved_cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE usage_records ADD COLUMN saved_energy_wh DOUBLE PRECISION NOT NULL DEFAULT 0;
