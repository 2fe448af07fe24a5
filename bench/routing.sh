#!/usr/bin/env bash
# What routing costs. (1) A semantic decision for a 500-word prompt (POST /v1/route, which embeds
# the bounded window of the last user message and scores the intents) against embedding a text of
# the window's size alone (POST /v1/embeddings), both through the gateway, one at a time.
# (2) fixed, fallback and rules routes against naming the model directly, at about 1,000 requests/s
# to an instant backend (nginx), alternating A B A B with mesh bench --compare.
#   bench/routing.sh [SECONDS_PER_RUN]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
BACKEND_PORT=${BACKEND_PORT:-19401}
GATEWAY_PORT=${GATEWAY_PORT:-19402}
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/instant-backend.sh
start_instant_backend "$BACKEND_PORT" "$work"
cat > "$work/mesh.yaml" <<YAML
server: { port: $GATEWAY_PORT, access-log: false }
models:
  - { id: fast, engine: openai, endpoints: ["http://127.0.0.1:$BACKEND_PORT/v1"] }
  - { id: minilm, engine: onnx }
routes:
  - { name: alias, policy: fixed, candidates: [fast] }
  - { name: chain, policy: fallback, candidates: [fast] }
  - name: triage
    policy: rules
    candidates: [fast]
    default: fast
    rules: [{ tools: true, model: fast }, { task: legal, model: fast }, { prompt-tokens-over: 4000, model: fast }]
  - name: support
    policy: semantic
    candidates: [fast]
    default: fast
    intents:
      - { name: billing, model: fast, examples: ["I was charged twice", "I want a refund for my last invoice", "there is an extra fee on my bill"] }
      - { name: shipping, model: fast, examples: ["where is my package", "my order has not arrived yet", "the delivery is late"] }
      - { name: account, model: fast, examples: ["I forgot my password", "I cannot log in", "change my address"] }
YAML
./mesh --version >/dev/null
./mesh serve --config "$work/mesh.yaml" >"$work/serve.out" 2>"$work/serve.err" &
echo $! > "$work/mesh.pid"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GATEWAY_PORT/health/ready" >/dev/null && break; sleep 0.2; done
g="http://127.0.0.1:$GATEWAY_PORT/v1"
for round in 1 2; do
  echo "== round $round: semantic decision for a 500-word prompt (A), embedding a 64-word text alone (B, the size of the default window)"
  ./mesh bench --url "$g" --endpoint route --model support --input-tokens 500 --requests 200 --warmup 50 --seed $((round * 10)) | tail -1 \
    | python3 -c "import json,sys; d=json.load(sys.stdin); print('A route', {k: d[k] for k in ['p50_ms','p90_ms','p99_ms','mean_ms','errors']})"
  ./mesh bench --url "$g" --endpoint embeddings --model minilm --input-tokens 64 --requests 200 --warmup 50 --seed $((round * 10 + 1)) | tail -1 \
    | python3 -c "import json,sys; d=json.load(sys.stdin); print('B embed', {k: d[k] for k in ['p50_ms','p90_ms','p99_ms','mean_ms','errors']})"
done
echo "warming the plain chat path up ..." >&2
./mesh bench --url "$g" --model fast --rate 1000 --concurrency 64 --duration 20 >/dev/null
for route in alias chain triage; do
  echo "== $route (A) against the model named directly (B), about 1,000 requests/s"
  ./mesh bench --url "$g" --model "$route" --compare "$g" --compare-model fast --rate 1000 --concurrency 64 \
    --duration "$SECONDS_PER_RUN" --rounds 2 --warmup 3000 | grep -v '^{'
done
