#!/usr/bin/env bash
# The cost of writing micromesh's fields into an answer, as a tree against as a token stream
# (bench/JsonRewrite.java), for a short and a 4 KB answer.
#   bench/json-rewrite.sh
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
cp="mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
"$JAVA_HOME/bin/java" -cp "$cp" bench/JsonRewrite.java
