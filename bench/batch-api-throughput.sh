#!/usr/bin/env bash
# Batch API throughput (issue 20): a batch of N chat items (default 20,000) submitted to a running
# `mesh serve` with `mesh batch run --url --via-batch-api` (upload, create, follow, download), whose
# one model is the test kit's stand-in serving 16 requests at once at a fixed DELAY_MS (default 20 ms:
# at most 800 requests/s). Reports the batch's own rate (request_counts.total over in_progress_at ..
# finalizing_at, whole seconds) and the client's wall-clock rate (upload, checks and the 1 s polls
# included), each against the stand-in's capacity.
#   bench/batch-api-throughput.sh [ITEMS (default 20000)] [BATCH_CONCURRENCY (default 32)]
#   DELAY_MS=100  a slower backend (160 requests/s)
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${1:-20000}
CONCURRENCY=${2:-32}
DELAY=${DELAY_MS:-20}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
cp="mesh-testkit/target/classes:mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
# the stand-in stands for a server on another machine: keep its own CPU (JIT, GC) small
"$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$cp" bench/StandIn.java "$DELAY" 16 >"$work/standin.out" 2>&1 &
echo $! > "$work/standin.pid"
for _ in $(seq 100); do grep -q '^port ' "$work/standin.out" 2>/dev/null && break; sleep 0.2; done
port=$(sed -n 's/^port //p' "$work/standin.out")
cat > "$work/mesh.yaml" <<YAML
server: { state-dir: "$work/state", access-log: false, batches: { concurrency: $CONCURRENCY } }
models:
  - { id: m, engine: openai, endpoints: ["http://127.0.0.1:$port/v1"], max-in-flight: 64 }
YAML
./mesh serve --config "$work/mesh.yaml" --port 0 >"$work/serve.out" 2>"$work/serve.err" &
echo $! > "$work/serve.pid"
for _ in $(seq 300); do grep -q 'listening on' "$work/serve.out" 2>/dev/null && break; sleep 0.2; done
url=$(grep -o 'listening on http://[^ ]*' "$work/serve.out" | head -1 | sed 's/listening on //')
python3 - "$work/input.jsonl" "$ITEMS" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"custom_id": f"item-{i}", "method": "POST", "url": "/v1/chat/completions",
                            "body": {"model": "m", "messages": [{"role": "user", "content": f"summarise call {i}"}]}}) + "\n")
PY
start=$(date +%s.%N)
./mesh batch run "$work/input.jsonl" --out "$work/output.jsonl" --url "$url/v1" --via-batch-api 2>&1 | grep -E "mesh batch:" | tail -1
end=$(date +%s.%N)
batch=$(cat "$work/output.jsonl.batch")
curl -s "$url/v1/batches/$batch" > "$work/batch.json"
python3 - "$work/batch.json" "$start" "$end" "$DELAY" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
n = b["request_counts"]["total"]
cap = 16000 / float(sys.argv[4])
run = b["finalizing_at"] - b["in_progress_at"]
wall = float(sys.argv[3]) - float(sys.argv[2])
print(f"{n} items, {b['request_counts']['completed']} completed, status {b['status']}")
print(f"batch: {run} s in progress: {n/max(run,1):.0f} items/s, {100*n/max(run,1)/cap:.0f}% of the stand-in's {cap:.0f}/s")
print(f"client wall clock (upload, checks, polls): {wall:.1f} s: {n/wall:.0f} items/s, {100*n/wall/cap:.0f}%")
PY
wc -l < "$work/output.jsonl"
