#!/usr/bin/env bash
# Speech to text on this CPU (issue 10): the real-time factor of each engine, through the gateway's
# POST /v1/audio/transcriptions, measured with `mesh bench --endpoint audio`.
#   bench/audio-rtf.sh [SPEECH.wav]   (default: ../shared/data/audio/jfk-16k.wav, else espeak-ng speech)
#   REPEAT=1    send the recording as it is (default 5 times over, in one file)
#   MODELS=vosk measure only these models (default: vosk whisper-tiny whisper-base whisper-small)
# The recording is repeated five times into one file (about a minute for the default), so that
# whisper.cpp's 30-second windows are filled as in a real call. Engines:
#   vosk        Vosk's small English model (bundled), one thread per transcription;
#   whisper-*   whisper.cpp on files of Whisper's tiny, base and small shapes WITHOUT weights
#               (bench/WriteWhisperShape.java): whisper.cpp runs the full encoder on them, but with
#               zero weights the decoder emits nothing, so the figure is the encoder's cost plus an
#               empty decode: a lower bound of a real model's time, not its measurement.
# Each engine is given one core (hardware cores: 1) and loaded at concurrency 1: the real-time factor
# per core. Vosk is also loaded at concurrency 2 (both cores) for the machine's throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
SPEECH=${1:-../shared/data/audio/jfk-16k.wav}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
cp="mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
if [ ! -f "$SPEECH" ]; then
  espeak-ng -s 140 -w "$work/said.wav" "my parcel has not arrived and I would like a refund for my order, the tracking number shows nothing since Monday"
  SPEECH="$work/said.wav"
fi
python3 - "$SPEECH" "$work/speech.wav" "${REPEAT:-5}" <<'PY'
import sys, wave
with wave.open(sys.argv[1]) as src:
    params, frames = src.getparams(), src.readframes(src.getnframes())
with wave.open(sys.argv[2], "wb") as out:
    out.setparams(params)
    for _ in range(int(sys.argv[3])):
        out.writeframes(frames)
PY
mkdir -p models/synthetic
for shape in tiny base small; do
  file=models/synthetic/ggml-whisper-$shape-empty.bin
  [ -f "$file" ] || "$JAVA_HOME/bin/java" -cp "$cp" bench/WriteWhisperShape.java "$file" "$shape"
done
cat > "$work/mesh.yaml" <<YAML
server: { port: 0 }
models:
  - { id: vosk, engine: vosk, hardware: { kind: cpu, cores: 2, watts: 35 } }
  - { id: whisper-tiny, engine: whisper-cpp, file: models/synthetic/ggml-whisper-tiny-empty.bin, hardware: { kind: cpu, cores: 1, watts: 17.5 } }
  - { id: whisper-base, engine: whisper-cpp, file: models/synthetic/ggml-whisper-base-empty.bin, hardware: { kind: cpu, cores: 1, watts: 17.5 } }
  - { id: whisper-small, engine: whisper-cpp, file: models/synthetic/ggml-whisper-small-empty.bin, hardware: { kind: cpu, cores: 1, watts: 17.5 } }
YAML
./mesh serve --config "$work/mesh.yaml" >"$work/serve.out" 2>&1 &
echo $! > "$work/serve.pid"
for _ in $(seq 300); do grep -q 'listening on' "$work/serve.out" 2>/dev/null && break; sleep 0.2; done
url=$(grep -o 'listening on http://[0-9.:]*' "$work/serve.out" | head -1 | sed 's/listening on //')/v1
seconds=$(python3 -c "import wave,sys; w=wave.open(sys.argv[1]); print(round(w.getnframes()/w.getframerate(),1))" "$work/speech.wav")
echo "audio: $seconds s per request (${REPEAT:-5} x $SPEECH); $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for model in ${MODELS:-vosk whisper-tiny whisper-base whisper-small}; do
  ./mesh bench --url "$url" --endpoint audio --model "$model" --audio "$work/speech.wav" --concurrency 1 \
      --requests 3 --warmup 2 | grep -E '^  audio:|^\{' | sed "s/^/$model c1: /" | cut -c1-220
done
./mesh bench --url "$url" --endpoint audio --model vosk --audio "$work/speech.wav" --concurrency 2 \
    --requests 6 --warmup 2 | grep -E '^  audio:' | sed "s/^/vosk c2: /"
