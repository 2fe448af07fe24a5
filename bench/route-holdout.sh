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
python3 bench/mmlu-halves.py ../shared/data/routellm/mmlu-train "$work" "$SEED"
models=(--strong gpt-4-1106-preview --weak mistralai/Mixtral-8x7B-Instruct-v0.1 --embedding-cache "${EMBEDDINGS:-/tmp/mmlu.emb}")
echo "== half of each subject to train, the other half to test"
./mesh route eval --train "$work/train" --test "$work/test" "${models[@]}" --task-from-file | tail -1
echo "== mathematics subjects held out: trained on the others ($(ls "$work/math" | tr '\n' ' '))"
./mesh route eval --train "$work/not-math" --test "$work/math" "${models[@]}" --task-from-file | tail -1
