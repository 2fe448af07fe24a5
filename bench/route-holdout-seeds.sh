#!/usr/bin/env bash
# The cost-quality predictor against the file prior over many held-out halves (issue 26): for each
# seed, each RouteLLM MMLU subject file of ../shared/data/routellm/mmlu-train is split in two by a
# seeded shuffle (bench/mmlu-halves.py, as for bench/route-holdout.sh); `mesh route eval
# --task-from-file` trains on one half and tests on the other; then the mean over seeds, its
# standard error and how often the predictor with tasks needed fewer strong calls than the file prior. One split's figure moves by
# several points with the seed (3,500 test prompts), so a difference of two points needs many.
#   bench/route-holdout-seeds.sh [FIRST LAST]     (default 101 130)
set -euo pipefail
cd "$(dirname "$0")/.."
FIRST=${1:-101}
LAST=${2:-130}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for seed in $(seq "$FIRST" "$LAST"); do
  rm -rf "$work/train" "$work/test" "$work/math" "$work/not-math"
  python3 bench/mmlu-halves.py ../shared/data/routellm/mmlu-train "$work" "$seed"
  echo "$seed $(./mesh route eval --train "$work/train" --test "$work/test" --strong gpt-4-1106-preview \
      --weak mistralai/Mixtral-8x7B-Instruct-v0.1 --embedding-cache "${EMBEDDINGS:-/tmp/mmlu.emb}" --task-from-file | tail -1)" \
      | tee -a "$work/figures"
done
python3 - "$work/figures" <<'PY'
import json, math, statistics, sys
runs = [json.loads(line.split(" ", 1)[1]) for line in open(sys.argv[1])]
def mean(key):
    return statistics.mean(r[key] for r in runs)
gap = [r["file_prior_strong_share"] - r["task_strong_share_at_target"] for r in runs]
print(f"{len(runs)} held-out halves: strong share with tasks {mean('task_strong_share_at_target'):.3f}, "
      f"label-free {mean('strong_share_at_target'):.3f}, file prior {mean('file_prior_strong_share'):.3f}, "
      f"random {mean('random_strong_share'):.3f}, oracle {mean('oracle_strong_share'):.3f}")
se = statistics.stdev(gap) / math.sqrt(len(gap)) if len(gap) > 1 else float("nan")
print(f"file prior minus with tasks: {statistics.mean(gap):.4f} (standard error {se:.4f}), fewer strong calls "
      f"with tasks in {sum(g > 0 for g in gap)} of {len(gap)}; Brier label-free {mean('brier'):.4f}, with tasks {mean('task_brier'):.4f}")
PY
