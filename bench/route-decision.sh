#!/usr/bin/env bash
# How long a routing decision takes through HTTP (issue 26): POST /v1/route for 500-token prompts
# (the decision embeds the bounded window of the last user message), one at a time, on
# (1) a semantic route: config/examples/customer-service.yaml's ten ABCD flows, and
# (2) a cost-quality route whose predictor remembers the 7,010 RouteLLM MMLU prompts of ../shared.
#   bench/route-decision.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-19431}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
# the outcome files with the candidates' ids as columns
python3 - ../shared/data/routellm/mmlu-train "$work/outcomes" <<'PY'
import csv, os, sys
os.makedirs(sys.argv[2])
for name in os.listdir(sys.argv[1]):
    rows = list(csv.reader(open(os.path.join(sys.argv[1], name), newline="")))
    with open(os.path.join(sys.argv[2], name), "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["prompt", "weak", "strong"])
        w.writerows(rows[1:])
PY
python3 - config/examples/customer-service.yaml "$work/mesh.yaml" "$PORT" "$work/outcomes" <<'PY'
import sys
text = open(sys.argv[1]).read()
routes = text[text.index("routes:"):]
sys.stdout = open(sys.argv[2], "w")
print(f"server: {{ port: {sys.argv[3]}, access-log: false }}")
print("models:")
print("  - { id: minilm, engine: onnx }")
for m in ("granite-3.3-2b", "granite-8b", "weak", "strong"):
    print(f"  - {{ id: {m}, engine: openai, endpoints: ['http://127.0.0.1:9/v1'] }}")
print(routes.rstrip())
print(f"  - {{ name: mmlu, policy: cost-quality, candidates: [weak, strong], outcome-files: ['{sys.argv[4]}'] }}")
PY
./mesh serve --config "$work/mesh.yaml" >"$work/serve.out" 2>"$work/serve.err" &
echo $! > "$work/mesh.pid"
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.5; done
grep -h "threshold\|outcomes from" "$work/serve.err" | sed 's/^/  log: /' || true
g="http://127.0.0.1:$PORT/v1"
for route in support mmlu; do
  echo "== $route: POST /v1/route, 500-token prompts, one at a time"
  ./mesh bench --url "$g" --endpoint route --model "$route" --input-tokens 500 --requests 300 --warmup 100 --seed 7 | tail -1 \
    | python3 -c "import json,sys; d=json.load(sys.stdin); print({k: d[k] for k in ['p50_ms','p90_ms','p99_ms','mean_ms','errors']})"
done
