#!/usr/bin/env bash
# Prefix affinity (issue 7): time to first token when four sessions, each with its own
# 1,000-token system prompt, share two engine workers of 2 slots each (one openai model with two
# endpoints). With affinity (the `user` field is the key) each worker sees two sessions, one per
# slot, and llama.cpp reuses the cached prefix; without (`affinity: false`: the least loaded
# endpoint) each worker sees all four and its two slots keep losing the prefix. The sessions come
# in a shuffled order. A random-weight
# model of a small shape (the byte-level vocabulary of the GGUF writer: one token per character),
# so prefill is what is measured. Each side has its own two workers (so one side's caches do not
# serve the other); the sides alternate, A B A B, so only two workers compute at a time. Compare
# the mean time to first token (ttft_mean_ms in the JSON line): a cache miss costs the whole prefill.
#   bench/prefix-affinity.sh [REQUESTS_PER_RUN (default 16)]
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-16}
SHAPE=layers=4,width=512,heads=8,kv-heads=4,ff=1408
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
model="bench/work/synthetic-$(echo "$SHAPE" | sed 's/[^A-Za-z0-9.-]\+/-/g')-Q4_0.gguf"
if [ ! -f "$model" ]; then  # written by mesh bench's synthetic model, once
  ./mesh bench --synthetic-model "$SHAPE" --synthetic-dir bench/work --requests 1 --output-tokens 1 >/dev/null
fi
for p in 19701 19702 19704 19705; do
  ./mesh engine --model "$model" --name synth --port $p --slots 2 --ctx 2048 --threads 1 --no-access-log >"$work/engine-$p.out" 2>&1 &
  echo $! > "$work/engine-$p.pid"
done
cat > "$work/mesh.yaml" <<YAML
server: { port: 19703, access-log: false }
models:
  - { id: affine, engine: openai, served-name: synth, endpoints: ["http://127.0.0.1:19701/v1", "http://127.0.0.1:19702/v1"], max-in-flight: 2, adaptive-limit: false }
  - { id: spread, engine: openai, served-name: synth, endpoints: ["http://127.0.0.1:19704/v1", "http://127.0.0.1:19705/v1"], max-in-flight: 2, adaptive-limit: false, affinity: false }
YAML
for p in 19701 19702 19704 19705; do
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$p/health/ready" >/dev/null && break; sleep 0.2; done
done
./mesh serve --config "$work/mesh.yaml" >"$work/serve.out" 2>&1 &
echo $! > "$work/mesh.pid"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:19703/health/ready" >/dev/null && break; sleep 0.2; done
python3 - "$work/prompts.jsonl" "$REQUESTS" <<'PY'
import json, random, sys
random.seed(7)
words = "the call centre agent checked the order account balance refund delivery date customer".split()
systems = [" ".join(random.choice(words) for _ in range(400))[:1000] for _ in range(4)]
with open(sys.argv[1], "w") as f:
    order = [i % 4 for i in range(int(sys.argv[2]) * 4)]
    random.shuffle(order)  # not in turn: a fixed cycle would line up with round-robin by chance
    for i, s in enumerate(order):
        f.write(json.dumps({"messages": [{"role": "system", "content": systems[s]},
                                         {"role": "user", "content": f"question {i}"}],
                            "max_tokens": 4, "user": f"session-{s}"}) + "\n")
PY
./mesh bench --url http://127.0.0.1:19703/v1 --model affine --compare http://127.0.0.1:19703/v1 --compare-model spread \
  --prompts "$work/prompts.jsonl" --stream --concurrency 2 --requests "$REQUESTS" --rounds 2 --warmup 8 \
  | tee "$work/result.txt" | grep -v '^{'
grep '^{' "$work/result.txt" | tail -1 | python3 -c "import json,sys; d=json.load(sys.stdin); b=d['compare']['figures']; \
print('mean ttft: affinity %.0f ms, none %.0f ms, ratio %.2f' % (d['ttft_mean_ms'], b['ttft_mean_ms'], b['ttft_mean_ms'] / d['ttft_mean_ms']))"
