#!/usr/bin/env bash
# The cost-quality predictor on subjects it never saw (issue 26): `mesh route eval --cv 5
# --group-by-file --task-from-file` on the RouteLLM MMLU files of ../shared/data/routellm/mmlu-train
# (each fold holds out whole subject files, so their task is unknown), once per seed of the folds'
# assignment, then the mean over seeds and its standard error. One assignment's figure depends on
# which subjects share a fold (a fold's share goes from near 0 to near 1), hence several.
#   bench/route-unseen-subjects.sh [FIRST LAST]     (default 1 10)
set -euo pipefail
cd "$(dirname "$0")/.."
FIRST=${1:-1}
LAST=${2:-10}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
figures=$(mktemp)
trap 'rm -f "$figures"' EXIT
for seed in $(seq "$FIRST" "$LAST"); do
  echo "$seed $(./mesh route eval --train ../shared/data/routellm/mmlu-train --cv 5 --group-by-file --seed "$seed" \
      --task-from-file --strong gpt-4-1106-preview --weak mistralai/Mixtral-8x7B-Instruct-v0.1 \
      --embedding-cache "${EMBEDDINGS:-/tmp/mmlu.emb}" | tail -1)" | tee -a "$figures"
done
python3 - "$figures" <<'PY'
import json, math, statistics, sys
runs = [json.loads(line.split(" ", 1)[1]) for line in open(sys.argv[1])]
def summary(key, digits=3):
    values = [r[key] for r in runs]
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else float("nan")
    return f"{statistics.mean(values):.{digits}f} (se {se:.{digits}f})"
print(f"{len(runs)} assignments of subjects to folds: strong share label-free {summary('strong_share_at_target')}, "
      f"with tasks {summary('task_strong_share_at_target')}, file prior {summary('file_prior_strong_share')}, "
      f"random {summary('random_strong_share')}, oracle {summary('oracle_strong_share')}")
below = sum(r["strong_share_at_target"] < r["random_strong_share"] for r in runs)
print(f"label-free below random in {below} of {len(runs)}; Brier label-free {summary('brier', 4)}, with tasks {summary('task_brier', 4)}")
PY
