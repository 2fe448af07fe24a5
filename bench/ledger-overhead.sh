#!/usr/bin/env bash
# What the usage ledger, an issued key and a budgeted key add to the gateway's overhead, in one run:
# non-streaming chat through one gateway (SQLite store, a master key) to a backend that answers
# instantly (nginx), sent with wrk as three callers in turn, each twice (A B C A B C) so that drift
# shows:
#   master    the master key: no key lookup, no budget; the ledger records every request
#   key       an issued key without limits: a key lookup in the store per request, and the ledger
#   budgeted  an issued key with a budget and a rate limit: the lookup, a reservation and a
#             settlement (two store transactions) per request, and the ledger
# and the backend directly, for reference. The ledger's row count is checked against what was sent.
#
#   bench/ledger-overhead.sh [DURATION_SECONDS]      (default 20; WARMUP=60 seconds before it)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-20}
WARMUP=${WARMUP:-60}
BACKEND_PORT=${BACKEND_PORT:-19111}
GATEWAY_PORT=${GATEWAY_PORT:-19112}
MASTER=bench-master-key-0123456789
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

if ! command -v wrk >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "install Debian's wrk first" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
. bench/instant-backend.sh
start_instant_backend "$BACKEND_PORT" "$work"

cat > "$work/mesh.yaml" <<YAML
server:
  port: $GATEWAY_PORT
  access-log: false
  master-key: $MASTER
  state-dir: $work/state
models:
  - id: bench
    engine: openai
    endpoints: ["http://127.0.0.1:$BACKEND_PORT/v1"]
    context: 4096
    price: { input-per-mtok: 0.2, output-per-mtok: 0.2 }
YAML
./mesh --version >/dev/null   # builds first when the sources changed
./mesh serve --config "$work/mesh.yaml" >"$work/serve.out" 2>"$work/serve.err" &
echo $! > "$work/mesh.pid"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GATEWAY_PORT/health/ready" >/dev/null && break; sleep 0.2; done

issue() {  # JSON body -> secret
  curl -sf "http://127.0.0.1:$GATEWAY_PORT/admin/keys" -H "Authorization: Bearer $MASTER" -d "$1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'
}
KEY=$(issue '{"name": "bench-key"}')
BUDGETED=$(issue '{"name": "bench-budgeted", "budget": {"usd": 1000000, "period": "day"}, "limits": {"rpm": 100000000, "concurrency": 1000}}')

script() {  # key -> lua file
  local file="$work/post-$RANDOM.lua"
  cat > "$file" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $1"
wrk.body = '{"model":"bench","messages":[{"role":"user","content":"Summarize the call in one sentence."}],"max_tokens":64}'
LUA
  echo "$file"
}
S_MASTER=$(script "$MASTER"); S_KEY=$(script "$KEY"); S_BUDGETED=$(script "$BUDGETED")

run() {  # url script duration -> "requests rps p50_ms p99_ms non2xx"
  wrk -t2 -c16 -d"$3"s --latency -s "$2" "$1" | awk '
    /requests in/ {n=$1}
    /Requests\/sec/ {rps=$2}
    /Non-2xx/ {bad=$NF}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    END {printf "%s %s %.3f %.3f %d\n", n, rps, ms(p50), ms(p99), bad+0}'
}
gateway="http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions"
echo "warming up for ${WARMUP}s (JIT), all three callers ..." >&2
total=0
for s in "$S_MASTER" "$S_KEY" "$S_BUDGETED"; do
  read -r n _ <<<"$(run "$gateway" "$s" $((WARMUP / 3)))"
  total=$((total + n))
done

read -r _ d_rps d_p50 d_p99 _ <<<"$(run "http://127.0.0.1:$BACKEND_PORT/v1/chat/completions" "$S_MASTER" "$DURATION")"
declare -A RPS P50 P99
for round in 1 2; do
  for caller in master key budgeted; do
    case $caller in master) s=$S_MASTER ;; key) s=$S_KEY ;; budgeted) s=$S_BUDGETED ;; esac
    read -r n rps p50 p99 bad <<<"$(run "$gateway" "$s" "$DURATION")"
    total=$((total + n))
    [ "$bad" = 0 ] || echo "warning: $bad non-2xx answers for $caller" >&2
    RPS[$caller$round]=$rps; P50[$caller$round]=$p50; P99[$caller$round]=$p99
  done
done
sleep 2
rows=$(curl -sf "http://127.0.0.1:$GATEWAY_PORT/v1/usage?group_by=key&from=2000-01-01" -H "Authorization: Bearer $MASTER" \
  | python3 -c 'import json,sys; print(sum(r["requests"] for r in json.load(sys.stdin)["data"]))')

echo
echo "ledger and key overhead, $(nproc) cores, $(date -u +%F), wrk -t2 -c16 -d${DURATION}s per cell after ${WARMUP}s warm-up"
echo "backend directly: $d_rps requests/s, p50 $d_p50 ms, p99 $d_p99 ms"
printf '%-10s %14s %14s %10s %10s %10s %10s\n' caller "req/s (1)" "req/s (2)" "p50 (1)" "p50 (2)" "p99 (1)" "p99 (2)"
for caller in master key budgeted; do
  printf '%-10s %14.0f %14.0f %10.3f %10.3f %10.3f %10.3f\n' "$caller" "${RPS[${caller}1]}" "${RPS[${caller}2]}" \
    "${P50[${caller}1]}" "${P50[${caller}2]}" "${P99[${caller}1]}" "${P99[${caller}2]}"
done
for caller in key budgeted; do
  printf 'throughput %-9s / master: %.3f\n' "$caller" \
    "$(echo "(${RPS[${caller}1]}+${RPS[${caller}2]})/(${RPS[master1]}+${RPS[master2]})" | bc -l)"
done
echo "ledger rows: $rows; requests wrk saw answered: $total (wrk does not count those cut off as a run ends)"
