#!/usr/bin/env bash
# Micro-batching of encoder work (issue 7): /v1/embeddings throughput and latency with the default
# batching (model minilm: up to 16 texts of at most 32 tokens per run, no wait) against one text per
# run (model minilm-single: max-batch 1), same gateway, A B A B with mesh bench --compare, at 1, 8
# and 32 concurrent clients, for short (16-token) and long (126-token) inputs.
#   bench/embeddings-batching.sh [SECONDS_PER_RUN (default 10)]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
PORT=${PORT:-19601}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/mesh.yaml" <<YAML
server: { port: $PORT, access-log: false }
models:
  - { id: minilm, engine: onnx }
  - { id: minilm-single, engine: onnx, max-batch: 1 }
YAML
./mesh serve --config "$work/mesh.yaml" >"$work/serve.out" 2>&1 &
echo $! > "$work/mesh.pid"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done
g="http://127.0.0.1:$PORT/v1"
for tokens in 16 126; do
  for c in 1 8 32; do
    echo "== $tokens-token inputs, $c clients: batched (A) against one per run (B)"
    ./mesh bench --url "$g" --endpoint embeddings --model minilm --compare "$g" --compare-model minilm-single \
      --input-tokens "$tokens" --concurrency "$c" --duration "$SECONDS_PER_RUN" --rounds 2 --warmup 200 | grep -v '^{' | tail -4
  done
done
