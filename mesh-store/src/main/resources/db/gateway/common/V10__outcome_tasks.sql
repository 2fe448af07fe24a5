-- The task of a routed request (x-mesh-task), kept with what the router learns from it, so that
-- cost-quality routes learn each task's prior from feedback and cascade verdicts too (issue 26).
ALTER TABLE completions ADD COLUMN task TEXT;
ALTER TABLE outcomes ADD COLUMN task TEXT;
