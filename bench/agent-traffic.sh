#!/usr/bin/env bash
# Agent traffic (issue 23): mesh bench --agent against a portfolio of two random-weight models of
# different sizes on this machine's CPU, each in its own engine worker: "large" alone (every agent
# call to the big model) against the route "agents", a cascade that tries "small" first and
# escalates a call whose tool arguments do not fit their schema. Each task is one workflow of
# STEPS tool-calling requests with growing context; AGENTS run at a time; a probe asks interactive
# questions of the same model at 1/s. Random weights: what the answers say is meaningless (the
# grammar makes every call well-formed, so the cascade never escalates here); speeds, costs (the
# prices below) and energy (CPU time x 15 W per core) are real measurements.
# The writer's vocabulary is bytes, so every character of the growing context is a token to
# prefill: shapes and sizes are kept small so that a run takes minutes on 2 cores.
#   bench/agent-traffic.sh [TASKS (default 8)] [STEPS (default 3)] [AGENTS (default 4)]
set -euo pipefail
cd "$(dirname "$0")/.."
TASKS=${1:-8}
STEPS=${2:-3}
AGENTS=${3:-4}
SMALL=layers=2,width=256,heads=4,kv-heads=2,ff=704
LARGE=layers=6,width=768,heads=12,kv-heads=4,ff=2048
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
file() { echo "bench/work/synthetic-$(echo "$1" | sed 's/[^A-Za-z0-9.-]\+/-/g')-Q4_0.gguf"; }
for shape in "$SMALL" "$LARGE"; do
  if [ ! -f "$(file "$shape")" ]; then  # written by mesh bench's synthetic model, once
    ./mesh bench --synthetic-model "$shape" --synthetic-dir bench/work --requests 1 --output-tokens 1 >/dev/null
  fi
done
cat > "$work/mesh.yaml" <<YAML
server: { port: 19731, access-log: false, state-dir: $work/state }
models:
  - { id: small, engine: llamacpp, file: $PWD/$(file "$SMALL"), slots: 4, context: 4096,
      price: { input-per-mtok: 0.05, output-per-mtok: 0.10 }, hardware: { kind: cpu, cores: 2, watts: 30 } }
  - { id: large, engine: llamacpp, file: $PWD/$(file "$LARGE"), slots: 4, context: 4096,
      price: { input-per-mtok: 0.50, output-per-mtok: 1.50 }, hardware: { kind: cpu, cores: 2, watts: 30 } }
routes:
  - { name: agents, policy: cascade, candidates: [small, large] }
YAML
./mesh serve --config "$work/mesh.yaml" >"$work/serve.out" 2>&1 &
echo $! > "$work/mesh.pid"
for _ in $(seq 600); do
  curl -sf http://127.0.0.1:19731/v1/models | grep -q '"status":"ready".*"status":"ready"' && break; sleep 0.2
done
./mesh bench --agent --url http://127.0.0.1:19731/v1 --model large --compare-model agents \
  --tasks "$TASKS" --steps "$STEPS" --concurrency "$AGENTS" --result-words 24 --output-tokens 256 \
  --interactive-rate 1 --rounds 2 --timeout 600 | tee "$work/result.txt" | grep -v '^{'
