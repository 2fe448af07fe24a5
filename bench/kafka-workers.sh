#!/usr/bin/env bash
# Batch work over Kafka (issue 21): one job of ITEMS chat items (default 2,000) run by 1, 2 and 3
# `mesh worker` processes, each limited to CONCURRENCY items in flight (default 4), against the test
# kit's stand-in answering every request in a fixed DELAY_MS (default 100 ms) with room for all of
# them at once, so that what is measured is the scaling of the workers, not this machine's two cores:
# one worker can do at most CONCURRENCY / DELAY items/s. Then the same job run locally
# (`mesh batch run --config --concurrency CONCURRENCY`), for the overhead of Kafka. The rate is the
# report's items_per_s: first to last journaled result.
#   bench/kafka-workers.sh [ITEMS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${1:-2000}
CONCURRENCY=${2:-4}
DELAY=${DELAY_MS:-100}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; sleep 1; rm -rf "$work"' EXIT
cp="mesh-testkit/target/classes:mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
"$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$cp" bench/StandIn.java "$DELAY" 256 >"$work/standin.out" 2>&1 &
echo $! > "$work/standin.pid"
for _ in $(seq 100); do grep -q '^port ' "$work/standin.out" 2>/dev/null && break; sleep 0.2; done
port=$(sed -n 's/^port //p' "$work/standin.out")
./mesh kafka-broker --port 0 --dir "$work/kafka" >"$work/broker.out" 2>"$work/broker.err" &
echo $! > "$work/broker.pid"
for _ in $(seq 300); do grep -q 'listening on' "$work/broker.out" 2>/dev/null && break; sleep 0.2; done
kafka=$(grep -o 'listening on [^ ]*' "$work/broker.out" | sed 's/listening on //')
python3 - "$work/input.jsonl" "$ITEMS" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"custom_id": f"item-{i}", "method": "POST", "url": "/v1/chat/completions",
                            "body": {"model": "m", "messages": [{"role": "user", "content": f"summarise call {i}"}]}}) + "\n")
PY
rate() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['items_per_s'])" "$1"; }
cap=$(python3 -c "print(round($CONCURRENCY * 1000 / $DELAY, 1))")
for workers in 1 2 3; do
  cat > "$work/mesh-$workers.yaml" <<YAML
server: { state-dir: "$work/state-$workers", access-log: false }
models:
  - { id: m, engine: openai, endpoints: ["http://127.0.0.1:$port/v1"], max-in-flight: 64 }
kafka: { topic-prefix: bench$workers, partitions: 12 }
YAML
  for w in $(seq "$workers"); do
    ./mesh worker --kafka "$kafka" --config "$work/mesh-$workers.yaml" --group "bench-$workers" --concurrency "$CONCURRENCY" \
      >"$work/worker-$workers-$w.out" 2>&1 &
    echo $! > "$work/worker-$workers-$w.pid"
  done
  for w in $(seq "$workers"); do
    for _ in $(seq 300); do grep -q 'in group' "$work/worker-$workers-$w.out" 2>/dev/null && break; sleep 0.2; done
  done
  ./mesh batch run "$work/input.jsonl" --out "$work/out-$workers.jsonl" --kafka "$kafka" --config "$work/mesh-$workers.yaml" \
    2>/dev/null | tail -1
  r=$(rate "$work/out-$workers.jsonl.report.json")
  echo "$workers worker(s) x $CONCURRENCY: $r items/s (each worker's ceiling $cap/s)"
  for w in $(seq "$workers"); do kill "$(cat "$work/worker-$workers-$w.pid")"; rm "$work/worker-$workers-$w.pid"; done
  sleep 2
done
cat > "$work/local.yaml" <<YAML
server: { state-dir: "$work/state-local", access-log: false }
models:
  - { id: m, engine: openai, endpoints: ["http://127.0.0.1:$port/v1"], max-in-flight: 64 }
YAML
./mesh batch run "$work/input.jsonl" --out "$work/out-local.jsonl" --config "$work/local.yaml" --concurrency "$CONCURRENCY" \
  2>/dev/null | tail -1
echo "local job x $CONCURRENCY: $(rate "$work/out-local.jsonl.report.json") items/s"
