#!/usr/bin/env bash
# The dispatcher's targets (issue 7), against the test kit's stand-in (bench/StandIn.java):
# (1) isolation: a stand-in serving 8 requests at once at a fixed 50 ms (at most 160 requests/s);
#     a steady interactive stream at 60 requests/s alone, then with a burst of 200 agent requests
#     on top (sent by bench/burst.py, a light process, 5 s into the run), with lanes (the burst in
#     the agent lane) and without (the burst in the interactive lane: one queue for all).
#     Interactive p99 compared.
# (2) adaptive limit: a stand-in whose latency rises past 16 concurrent requests (50 ms each);
#     64 clients in a closed loop through a gateway with an adaptive limit (ceiling 64); the limit
#     it settles at (sampled every half second) and the throughput, against the stand-in's own
#     (16 clients straight to it).
#   bench/dispatch.sh [SECONDS (default 20)]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
cp="mesh-testkit/target/classes:mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"

stand_in() {  # DELAY_MS CAPACITY NAME -> prints the port
  "$JAVA_HOME/bin/java" -cp "$cp" bench/StandIn.java "$1" "$2" >"$work/$3.out" 2>&1 &
  echo $! > "$work/$3.pid"
  for _ in $(seq 100); do grep -q '^port ' "$work/$3.out" 2>/dev/null && break; sleep 0.2; done
  sed -n 's/^port //p' "$work/$3.out"
}
gateway() {  # YAML NAME PORT
  echo "$1" > "$work/$2.yaml"
  ./mesh serve --config "$work/$2.yaml" >"$work/$2.serve.out" 2>&1 &
  echo $! > "$work/$2.pid"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$3/health/ready" >/dev/null && break; sleep 0.2; done
}
p99() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['points'][0]['latency_ms']['p99'] if 'points' in d else d['p99_ms'])" "$1"; }

echo "== (1) isolation"
port=$(stand_in 50 8 iso)
gateway "server: { port: 19501, access-log: false }
models:
  - { id: m, engine: openai, endpoints: [\"http://127.0.0.1:$port/v1\"], max-in-flight: 8, adaptive-limit: false, queue-size: 1000 }" iso-gw 19501
g=http://127.0.0.1:19501/v1
./mesh bench --url $g --model m --rate 60 --concurrency 32 --duration 5 >/dev/null   # warm-up
for mode in alone lanes no-lanes; do
  burst=""
  if [ "$mode" != alone ]; then
    lane=$([ "$mode" = lanes ] && echo agent || echo interactive)
    python3 bench/burst.py $g m 200 5 "x-mesh-priority:$lane" &
    burst=$!
  fi
  ./mesh bench --url $g --model m --rate 60 --concurrency 64 --duration "$SECONDS_PER_RUN" --seed 7 --warmup 200 \
      --json "$work/interactive-$mode.json" | grep -v '^{' | tail -3
  [ -n "$burst" ] && wait $burst
  echo "$mode: interactive p99 = $(p99 "$work/interactive-$mode.json") ms"
done
kill "$(cat "$work/iso-gw.pid")"; rm "$work/iso-gw.pid"

echo "== (2) adaptive limit"
port=$(stand_in 50 16 knee)
gateway "server: { port: 19502, access-log: false }
models:
  - { id: m, engine: openai, endpoints: [\"http://127.0.0.1:$port/v1\"], max-in-flight: 64 }" knee-gw 19502
g=http://127.0.0.1:19502/v1
( sleep 4; echo -n "limit every 0.5 s: "; for _ in $(seq 16); do
    curl -s http://127.0.0.1:19502/metrics | awk '/^mesh_dispatch_limit/ {printf "%d ", $2}'; sleep 0.5; done; echo ) &
sampler=$!
./mesh bench --url $g --model m --concurrency 64 --duration "$SECONDS_PER_RUN" --warmup 500 | grep -v '^{' | tail -3
wait $sampler
echo "the stand-in alone, 16 clients:"
./mesh bench --url "http://127.0.0.1:$port/v1" --model m --concurrency 16 --duration 10 --warmup 500 | grep -v '^{' | tail -1
