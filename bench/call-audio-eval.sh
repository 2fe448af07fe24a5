#!/usr/bin/env bash
# The call-insights chain from audio (issue 25): DialogSum dialogues that the built-in summarizer
# never saw (its file lists them) are spoken by espeak-ng in two voices, one speaker per channel,
# recorded as 8 kHz mu-law telephone calls in stereo and mixed to mono; `mesh batch run --task
# call-insights` runs on the clean transcripts, the stereo calls and the mono calls, and
# bench/call-audio-eval.py reports word error rate, ROUGE-L against the human summaries, lead-3 on
# the same text, topic and sentiment agreement with the clean-text run, minutes of audio per minute
# and energy per call. Needs Debian's espeak-ng and ffmpeg.
#   bench/call-audio-eval.sh [CALLS] [DIALOGSUM.jsonl]      (default 40 calls)
#   WORK=DIR keeps the calls and outputs there; RUNS="mono" runs only those jobs again (the others' outputs stay)
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${1:-40}
FILE=${2:-../shared/data/dialogsum/dialogsum.dev.jsonl}
for tool in espeak-ng ffmpeg python3; do
  command -v "$tool" >/dev/null || { echo "call-audio-eval: $tool is not installed" >&2; exit 1; }
done
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
echo "call-audio-eval: working in $work" >&2
python3 bench/call-audio-eval.py synthesize "$FILE" mesh-jobs/src/main/resources/io/micromesh/jobs/summary/summarizer.json \
  "$work" "$CALLS"
# the built-in task, with the channels named as DialogSum's summaries name the speakers
sed 's/channels: \[Agent, Customer\]/channels: ["#Person1#", "#Person2#"]/' \
  mesh-jobs/src/main/resources/io/micromesh/jobs/tasks/call-insights.yaml > "$work/call-insights.yaml"
grep -q '"#Person1#", "#Person2#"' "$work/call-insights.yaml" || { echo "call-audio-eval: the task's channels line changed" >&2; exit 1; }
cat > "$work/mesh.yaml" <<YAML
models:
  - { id: minilm, engine: onnx, hardware: { kind: cpu, cores: 2, watts: 35 } }
  - { id: asr, engine: vosk, hardware: { kind: cpu, cores: 2, watts: 35 } }
YAML
for run in ${RUNS:-text stereo mono}; do
  rm -f "$work/$run.out.jsonl"*   # a fresh job each time, not a resumed one
  start=$(date +%s.%N)
  ./mesh batch run "$work/$run.jsonl" --out "$work/$run.out.jsonl" --config "$work/mesh.yaml" \
    --task "$work/call-insights.yaml" 2>&1 | grep -E "mesh batch: .*\(100%\)" | tail -1 || true
  end=$(date +%s.%N)
  python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$end" > "$work/$run.seconds"
done
python3 bench/call-audio-eval.py report "$work"
