#!/usr/bin/env bash
# Batch job throughput against an engine worker (issue 8): a job of N chat items (default 400; 12
# prompt words, exactly 16 generated tokens each) through `mesh batch run --config`, whose
# portfolio runs one llama.cpp engine worker (4 slots) on a random-weight GGUF (4 layers, 512 wide,
# Q4_0, 7 MB, written once into bench/work/). Against it, `mesh bench --synthetic-model` of the same
# shape and slots measures what the worker itself serves: the same request bodies (--prompts), 4 in
# flight.
# Alternates the two ROUNDS times (default 2); prints items/s, requests/s and their ratio.
#   bench/batch-engine.sh [ITEMS (default 400)] [ROUNDS (default 2)]
#   BATCH_JAVA_OPTS="-XX:TieredStopAtLevel=1"  JVM options of the batch run only
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${1:-400}
ROUNDS=${2:-2}
SHAPE="layers=4,width=512,heads=8,kv-heads=4,ff=1408"
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
mkdir -p bench/work
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bench() {
  ./mesh bench --synthetic-model "$SHAPE" --synthetic-dir bench/work --concurrency 4 --requests "$1" --warmup 8 \
    --prompts "$work/bodies.jsonl" --output-tokens 16 --ignore-eos 2>/dev/null | tail -1 \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_per_s"])'
}
python3 - "$work/input.jsonl" "$ITEMS" "$work/bodies.jsonl" <<'PY'
import json, random, sys
random.seed(1)
words = "the call was about a late parcel and a refund for a double charge on the last invoice".split()
with open(sys.argv[1], "w") as f, open(sys.argv[3], "w") as bodies:
    for i in range(int(sys.argv[2])):
        prompt = " ".join(random.choice(words) for _ in range(12))
        body = {"model": "worker", "max_tokens": 16, "ignore_eos": True, "messages": [{"role": "user", "content": prompt}]}
        f.write(json.dumps({"custom_id": f"item-{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}) + "\n")
        bodies.write(json.dumps(body) + "\n")
PY
bench 8 >/dev/null   # writes the model once
model=$(ls bench/work/synthetic-layers-4-width-512-heads-8-kv-heads-4-ff-1408-Q4_0.gguf)
cat > "$work/mesh.yaml" <<YAML
models:
  - { id: worker, engine: llamacpp, file: $PWD/$model, slots: 4, context: 464 }   # the context mesh bench gives its synthetic worker (12 x 32 + 16 + 64)
YAML
for round in $(seq "$ROUNDS"); do
  b=$(bench "$ITEMS")
  rm -f "$work"/out.jsonl*
  line=$(MESH_JAVA_OPTS="${BATCH_JAVA_OPTS:-}" ./mesh batch run "$work/input.jsonl" --out "$work/out.jsonl" --config "$work/mesh.yaml" 2>&1 | grep -E "\(100%\)" | tail -1)
  items=$(echo "$line" | sed -E 's/.*\(100%\), ([0-9.]+) items\/s.*/\1/')
  python3 -c "import sys; b,i=float(sys.argv[1]),float(sys.argv[2]); print(f'round {sys.argv[3]}: mesh bench {b:.2f} requests/s, mesh batch run {i:.2f} items/s, batch/bench {i/b:.3f}')" "$b" "$items" "$round"
done
