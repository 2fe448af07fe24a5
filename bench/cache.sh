#!/usr/bin/env bash
# The response cache (issue 24): the latency of a hit against a miss, and heap per entry.
# Latency: one gateway over an instant backend (nginx returning a fixed chat completion) with two
# models on it, "cached" (cache: {}) and "direct" (no cache); one deterministic question sent again
# and again, A B A B, so every request to "cached" after the first is a hit and every one to
# "direct" goes to the backend. A real model's miss adds its seconds of generation; this measures
# what the gateway adds either way. Memory: bench/CacheMemory.java.
#   bench/cache.sh [REQUESTS (default 3000)]
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-3000}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
. bench/instant-backend.sh
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
start_instant_backend 19741 "$work"
cat > "$work/mesh.yaml" <<YAML
server: { port: 19742, access-log: false, state-dir: $work/state }
models:
  - { id: cached, engine: openai, endpoints: ["http://127.0.0.1:19741/v1"], cache: {} }
  - { id: direct, engine: openai, endpoints: ["http://127.0.0.1:19741/v1"] }
YAML
./mesh serve --config "$work/mesh.yaml" >"$work/serve.out" 2>&1 &
echo $! > "$work/mesh.pid"
for _ in $(seq 100); do curl -sf http://127.0.0.1:19742/health/ready >/dev/null && break; sleep 0.2; done
echo '{"messages":[{"role":"user","content":"What is the refund window for shoes bought online?"}],"temperature":0}' \
  > "$work/one.jsonl"
./mesh bench --url http://127.0.0.1:19742/v1 --model cached --compare http://127.0.0.1:19742/v1 --compare-model direct \
  --prompts "$work/one.jsonl" --concurrency 1 --requests "$REQUESTS" --warmup 300 --rounds 2 | grep -v '^{'
curl -s http://127.0.0.1:19742/metrics | grep '^mesh_cache_requests_total'
cp="mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
"$JAVA_HOME/bin/java" -Xmx2g -cp "$cp" bench/CacheMemory.java 50000
