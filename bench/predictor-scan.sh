#!/usr/bin/env bash
# A cost-quality decision's scan of the predictor's memory by size (issue 26): bench/PredictorScan.java.
#   bench/predictor-scan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
cp="mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
"$JAVA_HOME/bin/java" -Xmx8g -cp "$cp" bench/PredictorScan.java
