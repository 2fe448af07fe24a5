#!/usr/bin/env bash
# Gateway overhead measured with mesh bench --compare instead of wrk: the same instant backend
# (nginx returning a fixed chat completion) through an `openai` model of the gateway (A) and
# directly (B), alternating A B A B so that the machine's noise hits both sides.
#
#   bench/gateway-overhead-mesh-bench.sh [SECONDS_PER_RUN]   (default 10; WARMUP=60 seconds before)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
WARMUP=${WARMUP:-60}
BACKEND_PORT=${BACKEND_PORT:-19101}
GATEWAY_PORT=${GATEWAY_PORT:-19102}
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/instant-backend.sh
start_instant_backend "$BACKEND_PORT" "$work"
cat > "$work/mesh.yaml" <<YAML
server:
  port: $GATEWAY_PORT
models:
  - id: bench
    engine: openai
    endpoints: ["http://127.0.0.1:$BACKEND_PORT/v1"]
YAML
./mesh --version >/dev/null   # builds first when the sources changed
./mesh serve --config "$work/mesh.yaml" >"$work/serve.out" 2>"$work/serve.err" &
echo $! > "$work/mesh.pid"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GATEWAY_PORT/health/ready" >/dev/null && break; sleep 0.2; done
gateway="http://127.0.0.1:$GATEWAY_PORT/v1"
direct="http://127.0.0.1:$BACKEND_PORT/v1"
echo "warming the gateway up for $WARMUP s ..." >&2
./mesh bench --url "$gateway" --model bench --concurrency 16 --duration "$WARMUP" >/dev/null
echo "== saturation: 16 in flight, A = gateway, B = direct"
./mesh bench --url "$gateway" --compare "$direct" --model bench --concurrency 16 --duration "$SECONDS_PER_RUN" --rounds 2 --warmup 2000
echo "== about 1,000 requests/s (Poisson arrivals), A = gateway, B = direct"
./mesh bench --url "$gateway" --compare "$direct" --model bench --rate 1000 --concurrency 64 --duration "$SECONDS_PER_RUN" --rounds 2 --warmup 3000
