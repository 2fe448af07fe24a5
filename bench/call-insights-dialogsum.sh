#!/usr/bin/env bash
# The call-insights task's micro-model tier on DialogSum (issue 9): every dialogue of
# ../shared/data/dialogsum/dialogsum.dev.jsonl (or FILE) through `mesh batch run --task call-insights`
# with a portfolio of only the in-process encoder (no generative model: the steps answer alone),
# then `mesh batch eval` against the reference summaries and topics, with the lead-3 baseline.
# The built-in summarizer was trained on 300 of these dialogues: for figures on unseen ones use
# `mesh train summarizer` (its held-out part) or bench/call-audio-eval.sh (its text run).
#   bench/call-insights-dialogsum.sh [FILE] [extra mesh batch run options]
#   MODEL=FILE.gguf  adds that model on an engine worker as the generative tier (route: the model)
#   LIMIT=N          only the first N dialogues
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-../shared/data/dialogsum/dialogsum.dev.jsonl}
shift || true
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$FILE" "$work/calls.jsonl" "$work/reference.jsonl" "${LIMIT:-0}" <<'PY'
import json, sys
limit = int(sys.argv[4])
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out, open(sys.argv[3], "w") as ref:
    for i, line in enumerate(f):
        if limit and i >= limit:
            break
        d = json.loads(line)
        out.write(json.dumps({"id": d["fname"], "transcript": d["dialogue"]}) + "\n")
        ref.write(line)
PY
cat > "$work/mesh.yaml" <<YAML
models:
  - { id: minilm, engine: onnx }
YAML
route=()
if [ -n "${MODEL:-}" ]; then
  echo "  - { id: generative, engine: llamacpp, file: \"$(realpath "$MODEL")\", slots: 2, context: 8192 }" >> "$work/mesh.yaml"
  route=(--route generative)
fi
./mesh batch run "$work/calls.jsonl" --out "$work/insights.jsonl" --config "$work/mesh.yaml" --task call-insights \
  "${route[@]}" "$@" 2>&1 | grep -E "\(100%\)|mesh batch:" | tail -2
./mesh batch eval "$work/insights.jsonl" --reference "$work/reference.jsonl"
