#!/usr/bin/env bash
# The cost-quality predictor out of sample (issue 26): each RouteLLM MMLU subject file of
# ../shared/data/routellm/mmlu-train is split in two by a seeded shuffle; `mesh route eval` trains on
# one half and tests on the other (never used for any choice), label-free and with each file as the
# prompts' task (--task-from-file); then the same with the mathematics subjects held out entirely,
# trained on every other subject (a domain the predictor never saw).
#   bench/route-holdout.sh [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
SEED=${1:-11}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - ../shared/data/routellm/mmlu-train "$work" "$SEED" <<'PY'
import csv, os, random, sys
source, work, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
for part in ("train", "test", "not-math", "math"):
    os.makedirs(os.path.join(work, part))
for name in sorted(os.listdir(source)):
    with open(os.path.join(source, name), newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    random.Random(f"{seed}-{name}").shuffle(body)
    half = len(body) // 2
    math = "math" in name or "algebra" in name or "statistics" in name
    for part, chunk in (("train", body[:half]), ("test", body[half:]), ("math" if math else "not-math", body)):
        with open(os.path.join(work, part, name), "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(chunk)
PY
models=(--strong gpt-4-1106-preview --weak mistralai/Mixtral-8x7B-Instruct-v0.1 --embedding-cache "${EMBEDDINGS:-/tmp/mmlu.emb}")
echo "== half of each subject to train, the other half to test"
./mesh route eval --train "$work/train" --test "$work/test" "${models[@]}" --task-from-file | tail -1
echo "== mathematics subjects held out: trained on the others ($(ls "$work/math" | tr '\n' ' '))"
./mesh route eval --train "$work/not-math" --test "$work/math" "${models[@]}" --task-from-file | tail -1
