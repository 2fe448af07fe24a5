#!/usr/bin/env bash
# In-process time of one all-MiniLM-L6-v2 embedding (the semantic router's cost) by window size,
# without HTTP and without a load generator on the same cores.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
cp="mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" bench/EncoderWindowTime.java
