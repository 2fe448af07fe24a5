#!/usr/bin/env bash
# Topic accuracy of the call-insights task on ABCD conversations (issue 25): each conversation's
# intent (scenario.flow / subflow) maps to one of the task's topics through bench/data/abcd-topics.json;
# the conversations (agent and customer turns, actions left out) run through `mesh batch run --task
# call-insights` with only the in-process encoder (the micro-model tier), and the topic it gives is
# compared with the mapped one.
#   bench/abcd-topics.sh [ABCD.json]     (default ../shared/data/abcd/abcd_sample.json; a list of conversations,
#                                          or ABCD's {"train": [...], "dev": [...], "test": [...]})
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-../shared/data/abcd/abcd_sample.json}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$FILE" bench/data/abcd-topics.json "$work" <<'PY'
import json, re, sys
data = json.load(open(sys.argv[1]))
conversations = data if isinstance(data, list) else [c for part in data.values() for c in part]
mapping = json.load(open(sys.argv[2]))["topics"]
with open(sys.argv[3] + "/calls.jsonl", "w") as calls, open(sys.argv[3] + "/truth.json", "w") as truth:
    expected = {}
    for c in conversations:
        flow, subflow = c["scenario"]["flow"], re.sub(r"_\d+$", "", c["scenario"]["subflow"])
        turns = [f"{'Agent' if who == 'agent' else 'Customer'}: {said}" for who, said in c["original"] if who != "action"]
        cid = str(c["convo_id"])
        calls.write(json.dumps({"id": cid, "transcript": "\n".join(turns)}) + "\n")
        expected[cid] = {"intent": f"{flow}/{subflow}", "topic": mapping[f"{flow}/{subflow}"]}
    json.dump(expected, truth)
PY
cat > "$work/mesh.yaml" <<YAML
models:
  - { id: minilm, engine: onnx }
YAML
./mesh batch run "$work/calls.jsonl" --out "$work/out.jsonl" --config "$work/mesh.yaml" --task call-insights 2>&1 \
  | grep -E "mesh batch: .*\(100%\)" | tail -1 || true
python3 - "$work" <<'PY'
import collections, json, sys
truth = json.load(open(sys.argv[1] + "/truth.json"))
right, wrong = 0, collections.Counter()
for line in open(sys.argv[1] + "/out.jsonl"):
    j = json.loads(line)
    want = truth[j["id"]]
    got = (j.get("output") or {}).get("topic")
    if got == want["topic"]:
        right += 1
    else:
        wrong[(want["intent"], want["topic"], got)] += 1
n = len(truth)
print(f"topic accuracy {right}/{n} = {right / n:.3f}")
for (intent, topic, got), count in wrong.most_common(20):
    print(f"  {count} x {intent} ({topic}) given {got}")
print(json.dumps({"conversations": n, "topic_accuracy": round(right / n, 4)}))
PY
