#!/usr/bin/env bash
# Batch job throughput (issue 8): a job of N items (default 10,000) through the portfolio started
# in process (`mesh batch run --config`), whose one model is the test kit's stand-in serving 16
# requests at once at a fixed 20 ms (at most 800 requests/s). Reports items/s against 800.
#   bench/batch-throughput.sh [ITEMS (default 10000)] [CONCURRENCY (default 64)]
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${1:-10000}
CONCURRENCY=${2:-64}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
cp="mesh-testkit/target/classes:mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
"$JAVA_HOME/bin/java" -cp "$cp" bench/StandIn.java 20 16 >"$work/standin.out" 2>&1 &
echo $! > "$work/standin.pid"
for _ in $(seq 100); do grep -q '^port ' "$work/standin.out" 2>/dev/null && break; sleep 0.2; done
port=$(sed -n 's/^port //p' "$work/standin.out")
cat > "$work/mesh.yaml" <<YAML
models:
  - { id: m, engine: openai, endpoints: ["http://127.0.0.1:$port/v1"], max-in-flight: 64 }
YAML
python3 - "$work/input.jsonl" "$ITEMS" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"custom_id": f"item-{i}", "method": "POST", "url": "/v1/chat/completions",
                            "body": {"model": "m", "messages": [{"role": "user", "content": f"summarise call {i}"}]}}) + "\n")
PY
start=$(date +%s.%N)
./mesh batch run "$work/input.jsonl" --out "$work/output.jsonl" --config "$work/mesh.yaml" --concurrency "$CONCURRENCY" 2>&1 \
  | grep -E "finished|mesh batch:" | tail -2
end=$(date +%s.%N)
python3 -c "import sys; n=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); print(f'{n} items in {s:.1f} s (JVM start and portfolio included): {n/s:.0f} items/s, {100*n/s/800:.0f}% of the stand-in\'s 800/s')" "$ITEMS" "$start" "$end"
wc -l < "$work/output.jsonl"
