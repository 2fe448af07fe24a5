#!/usr/bin/env bash
# Output tokens/s of an engine worker vs the llama.cpp binding called directly, at 1, 2 and 4
# concurrent streams, on a random GGUF of IBM Granite 3.x 2B's shape at Q4_0 (about 1.4 GB,
# written once into bench/work/ by the GGUF writer).
# Usage: bench/engine-throughput.sh [TOKENS_PER_STREAM (default 48)] [ROUNDS (default 2)]
#   SHAPE=moe  Granite 3.0 3B-A800M's shape instead (a mixture of experts, about 3.4 GB at Q8_0)
set -euo pipefail
cd "$(dirname "$0")/.."
TOKENS=${1:-48}
ROUNDS=${2:-2}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
mkdir -p bench/work
if [ "${SHAPE:-dense}" = moe ]; then model=bench/work/granite-3b-a800m-shape-Q8_0.gguf; else model=bench/work/granite-2b-shape-Q4_0.gguf; fi
cp="mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
if [ ! -f "$model" ]; then
  echo "writing $model (random weights, ${SHAPE:-dense} Granite shape) ..." >&2
  "$JAVA_HOME/bin/java" -cp "$cp" bench/WriteGraniteShape.java "$model" "${SHAPE:-dense}"
fi
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$cp" bench/EngineThroughput.java \
  "$model" "$TOKENS" "$ROUNDS" "$cp"
