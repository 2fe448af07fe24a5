#!/usr/bin/env bash
# The call-insights task's micro-model tier on DialogSum (issue 9): every dialogue of
# ../shared/data/dialogsum/dialogsum.dev.jsonl (or FILE) through `mesh batch run --task call-insights`
# with a portfolio of only the in-process encoder (no generative model: the steps answer alone),
# then `mesh batch eval` against the reference summaries and topics, with the lead-3 baseline.
#   bench/call-insights-dialogsum.sh [FILE] [extra mesh batch run options]
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-../shared/data/dialogsum/dialogsum.dev.jsonl}
shift || true
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$FILE" "$work/calls.jsonl" <<'PY'
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        d = json.loads(line)
        out.write(json.dumps({"id": d["fname"], "transcript": d["dialogue"]}) + "\n")
PY
cat > "$work/mesh.yaml" <<YAML
models:
  - { id: minilm, engine: onnx }
YAML
./mesh batch run "$work/calls.jsonl" --out "$work/insights.jsonl" --config "$work/mesh.yaml" --task call-insights "$@" 2>&1 \
  | grep -E "\(100%\)|mesh batch:" | tail -2
./mesh batch eval "$work/insights.jsonl" --reference "$FILE"
