#!/usr/bin/env bash
# Word error rate on 8 kHz μ-law telephony speech, resampled by Java Sound (linear) against ffmpeg
# (issue 25): bench/TelephonyWer.java. Needs Debian's espeak-ng and ffmpeg.
#   bench/telephony-wer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/find-jdk); export JAVA_HOME
./mesh build >/dev/null
cp="mesh-cli/target/mesh.jar:$(ls mesh-cli/target/lib/*.jar | tr '\n' ':')"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" bench/TelephonyWer.java
