#!/usr/bin/env bash
# Conversion speed of `mesh docs ingest`'s PDF converter (PDFBox), in process, on the sample pages of
# ../shared/data/docs (an arXiv page with a table, a two-column handbook page, a two-page code and
# formula sample): ROUNDS rounds after one warm-up.
#   bench/docs-convert.sh [ROUNDS (default 20)]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20}
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
cp="mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
"$JAVA_HOME/bin/java" -cp "$cp" bench/DocsConvert.java "$ROUNDS" ../shared/data/docs/*.pdf 2>/dev/null
