#!/usr/bin/env bash
# Which HTTP client for the openai backend: JDK HttpClient vs Helidon WebClient, against nginx
# answering a fixed chat completion. Usage: bench/client-throughput.sh [SECONDS_PER_RUN] (default 6)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-6}
PORT=${BACKEND_PORT:-19111}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
work=$(mktemp -d)
trap 'kill $(cat "$work"/nginx.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/instant-backend.sh
start_instant_backend "$PORT" "$work"
./mvnw -B -q dependency:build-classpath -pl mesh-engines -Dmdep.outputFile="$work/cp.txt" >/dev/null
"$JAVA_HOME/bin/java" -cp "$(cat "$work/cp.txt")" bench/ClientThroughput.java "http://127.0.0.1:$PORT/v1/chat/completions" "$SECONDS_PER_RUN"
