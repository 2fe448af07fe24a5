#!/usr/bin/env bash
# Batch job throughput (issue 8): a job of N items (default 10,000) through the portfolio started
# in process (`mesh batch run --config`), whose one model is the test kit's stand-in serving 16
# requests at once at a fixed DELAY_MS (default 20 ms: at most 800 requests/s). Reports items/s
# against that capacity, and the CPU seconds of the job's process and of the stand-in.
#   bench/batch-throughput.sh [ITEMS (default 10000)] [CONCURRENCY (default 64)]
#   TARGET=url   send straight to the stand-in (no gateway): the runner's own ceiling
#   DELAY_MS=100 a slower backend (160 requests/s), which leaves the two cores to spare
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${1:-10000}
CONCURRENCY=${2:-64}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
cp="mesh-testkit/target/classes:mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
# the stand-in stands for a server on another machine: keep its own CPU (JIT, GC) small
"$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$cp" bench/StandIn.java "${DELAY_MS:-20}" 16 >"$work/standin.out" 2>&1 &
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
if [ "${TARGET:-config}" = url ]; then where=(--url "http://127.0.0.1:$port/v1"); else where=(--config "$work/mesh.yaml"); fi
cpu() { awk '{print ($14+$15)/100}' "/proc/$1/stat"; }
standin_before=$(cpu "$(cat "$work/standin.pid")")
start=$(date +%s.%N)
( time -p ./mesh batch run "$work/input.jsonl" --out "$work/output.jsonl" "${where[@]}" --concurrency "$CONCURRENCY" 2>&1 \
  | grep -E "mesh batch:" | tail -2 ) 2> "$work/time"
end=$(date +%s.%N)
standin_after=$(cpu "$(cat "$work/standin.pid")")
echo "CPU seconds: mesh batch run $(awk '/^user/{u=$2}/^sys/{s=$2}END{print u+s}' "$work/time"), stand-in $(echo "$standin_after - $standin_before" | bc)"
python3 -c "import sys; n=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); c=16000/float(sys.argv[4]); print(f'{n} items in {s:.1f} s (JVM start and portfolio included): {n/s:.0f} items/s, {100*n/s/c:.0f}% of the stand-in\'s {c:.0f}/s')" "$ITEMS" "$start" "$end" "${DELAY_MS:-20}"
wc -l < "$work/output.jsonl"
