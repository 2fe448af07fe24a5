#!/usr/bin/env bash
# Issue 16's soak: MINUTES (default 30) of mixed traffic with faults against one gateway, sampling
# every minute its heap after a full GC, resident memory, threads and open file descriptors; they
# must stay flat (no leak of memory, threads or connections). Traffic:
#   - mesh bench: chat at 100 requests/s and streamed chat at 20 requests/s to a well-behaved
#     stand-in (20 ms per answer);
#   - bench/soak-mix.py, 6 loops without pause: bad requests, faulty models (garbage, crash, hang,
#     trickle, reset, cut stream, fallback routes past them), slow clients, clients leaving
#     mid-stream, HTTP/1.0, TLS hellos on the plain port, binary noise.
# The gateway runs with a fixed heap (-Xmx512m) so that resident memory can plateau.
#   bench/soak.sh [MINUTES]   (writes its samples to bench/work/soak-samples.tsv)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-30}
SECONDS_TOTAL=$((MINUTES * 60))
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
cp="mesh-testkit/target/classes:mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"

"$JAVA_HOME/bin/java" -cp "$cp" bench/FaultStandIns.java >"$work/standins.out" 2>&1 &
echo $! >"$work/standins.pid"
for _ in $(seq 150); do grep -q '^ready' "$work/standins.out" 2>/dev/null && break; sleep 0.2; done
grep -q '^ready' "$work/standins.out" || { cat "$work/standins.out"; exit 1; }
port_of() { awk -v n="$1" '$1 == n {print $2}' "$work/standins.out"; }

{
  echo "server: { access-log: false }"
  echo "models:"
  for name in good garbage crashing hang trickle reset cut closing; do
    echo "  - { id: $name, engine: openai, endpoints: [\"http://127.0.0.1:$(port_of $name)/v1\"], eject-after-failures: 1000, timeout-ms: 2000, deadline-ms: 3000 }"
  done
  echo "routes:"
  for fault in garbage reset; do
    echo "  - { name: past-$fault, policy: fallback, candidates: [$fault, good] }"
  done
  echo "  - { name: past-crash, policy: fallback, candidates: [crashing, good] }"
} >"$work/soak.yaml"

MESH_JAVA_OPTS="-Xms256m -Xmx512m" ./mesh serve --config "$work/soak.yaml" --port 0 >"$work/gateway.out" 2>&1 &
gw=$!
echo $gw >"$work/gateway.pid"
for _ in $(seq 150); do grep -q 'listening on' "$work/gateway.out" 2>/dev/null && break; sleep 0.2; done
port=$(grep -o 'listening on http://[^ ]*' "$work/gateway.out" | head -1 | sed 's/.*://')
[ -n "$port" ] || { cat "$work/gateway.out"; exit 1; }
echo "gateway pid $gw on port $port; $MINUTES minutes of traffic"

./mesh bench --url "http://127.0.0.1:$port/v1" --endpoint chat --model good --rate 100 --concurrency 32 \
    --duration "$SECONDS_TOTAL" --output-tokens 16 >"$work/bench-chat.out" 2>&1 &
echo $! >"$work/bench-chat.pid"
./mesh bench --url "http://127.0.0.1:$port/v1" --endpoint chat --model good --rate 20 --concurrency 16 --stream \
    --duration "$SECONDS_TOTAL" --output-tokens 16 >"$work/bench-stream.out" 2>&1 &
echo $! >"$work/bench-stream.pid"
python3 bench/soak-mix.py 127.0.0.1 "$port" "$SECONDS_TOTAL" 6 >"$work/mix.out" 2>&1 &
echo $! >"$work/mix.pid"

sample() {  # minute -> one line: minute, heap after full GC (MiB), RSS (MiB), OS threads, fds
  "$JAVA_HOME/bin/jcmd" "$gw" GC.run >/dev/null
  local heap
  heap=$("$JAVA_HOME/bin/jcmd" "$gw" GC.heap_info | grep -o 'used [0-9]*K' | head -1 | grep -o '[0-9]*')
  printf '%s\t%d\t%d\t%s\t%s\n' "$1" $((heap / 1024)) $(($(awk '/VmRSS/{print $2}' "/proc/$gw/status") / 1024)) \
      "$(awk '/Threads/{print $2}' "/proc/$gw/status")" "$(ls "/proc/$gw/fd" | wc -l)"
}
mkdir -p bench/work
samples=bench/work/soak-samples.tsv
printf 'minute\theap_mb\trss_mb\tthreads\tfds\n' | tee "$samples"
sample 0 | tee -a "$samples"
for minute in $(seq 1 "$MINUTES"); do
  sleep 60
  kill -0 "$gw" 2>/dev/null || { echo "the gateway died"; cat "$work/gateway.out"; exit 1; }
  sample "$minute" | tee -a "$samples"
done
wait "$(cat "$work/mix.pid")" "$(cat "$work/bench-chat.pid")" "$(cat "$work/bench-stream.pid")" || true
sleep 5
echo "after the traffic stopped:"
sample end | tee -a "$samples"
echo "chat:   $(tail -1 "$work/bench-chat.out")"
echo "stream: $(tail -1 "$work/bench-stream.out")"
echo "mix:    $(tail -1 "$work/mix.out")"
grep -c ' ERROR ' "$work/gateway.out" | sed 's/^/gateway log ERROR lines (bugs): /' || true
grep -c 'WARNING' "$work/gateway.out" | sed 's/^/gateway log WARNING lines: /' || true
grep -A1 'WARNING' "$work/gateway.out" | grep -v '^--' | sort | uniq -c | sort -rn | head -10 || true
