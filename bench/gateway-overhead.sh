#!/usr/bin/env bash
# Gateway overhead: non-streaming chat through an `openai` model whose backend answers instantly
# (nginx returning a fixed chat completion), against calling that backend directly, with wrk.
#
#   bench/gateway-overhead.sh [DURATION_SECONDS]      (default 20; WARMUP=60 seconds before it)
#   TRACING=1 bench/gateway-overhead.sh ...            (with server.tracing at sample ratio 1.0 to a local sink)
#
# Needs Debian's wrk and nginx-light (it installs them when run as root). Prints, in one run:
# saturation throughput direct vs through the gateway (16 connections), and p50/p99 latency at
# about 1,000 requests/s (16 connections, each pausing 16 ms between requests: wrk has no fixed
# rate, so this holds the offered rate near 1,000/s whatever the latency).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-20}
WARMUP=${WARMUP:-60}  # the JIT needs about a minute of load to compile the request path fully
BACKEND_PORT=${BACKEND_PORT:-19101}
GATEWAY_PORT=${GATEWAY_PORT:-19102}
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

if ! command -v wrk >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "install Debian's wrk first" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
. bench/instant-backend.sh
start_instant_backend "$BACKEND_PORT" "$work"

TRACING_YAML=""
if [ -n "${TRACING:-}" ]; then  # TRACING=1: spans of every request to a local OTLP sink (answers 200, keeps nothing)
  OTLP_PORT=${OTLP_PORT:-19103}
  python3 -c '
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
' "$OTLP_PORT" &
  echo $! > "$work/otlp.pid"
  TRACING_YAML="  tracing: { otlp-endpoint: \"http://127.0.0.1:$OTLP_PORT\", sample-ratio: 1.0 }"
fi
cat > "$work/mesh.yaml" <<YAML
server:
  port: $GATEWAY_PORT
  access-log: \${ACCESS_LOG:-true}
$TRACING_YAML
models:
  - id: bench
    engine: openai
    endpoints: ["http://127.0.0.1:$BACKEND_PORT/v1"]
YAML
./mesh --version >/dev/null   # builds first when the sources changed
MESH_JAVA_OPTS="${MESH_JAVA_OPTS:-}" ./mesh serve --config "$work/mesh.yaml" >"$work/serve.out" 2>"$work/serve.err" &
echo $! > "$work/mesh.pid"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GATEWAY_PORT/health/ready" >/dev/null && break; sleep 0.2; done

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"bench","messages":[{"role":"user","content":"Summarize the call in one sentence."}],"max_tokens":64}'
LUA
cp "$work/post.lua" "$work/paced.lua"
echo 'function delay() return 16 end' >> "$work/paced.lua"

run() {  # url script duration -> "rps p50_ms p99_ms"
  wrk -t2 -c16 -d"$3"s --latency -s "$2" "$1" | awk '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    END {printf "%s %.3f %.3f\n", rps, ms(p50), ms(p99)}'
}

direct="http://127.0.0.1:$BACKEND_PORT/v1/chat/completions"
gateway="http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions"
echo "warming up the gateway for ${WARMUP}s (JIT) ..." >&2
run "$gateway" "$work/post.lua" "$WARMUP" >/dev/null

cpu() { awk '{print $14+$15}' "/proc/$(cat "$work/mesh.pid")/stat"; }  # user+system, in clock ticks
read -r d_rps d_p50 d_p99 <<<"$(run "$direct" "$work/post.lua" "$DURATION")"
cpu_before=$(cpu)
read -r g_rps g_p50 g_p99 <<<"$(run "$gateway" "$work/post.lua" "$DURATION")"
cpu_after=$(cpu)
read -r dr_rps dr_p50 dr_p99 <<<"$(run "$direct" "$work/paced.lua" "$DURATION")"
read -r gr_rps gr_p50 gr_p99 <<<"$(run "$gateway" "$work/paced.lua" "$DURATION")"

echo
echo "gateway overhead, $(nproc) cores, $(date -u +%F), wrk -t2 -c16 -d${DURATION}s after ${WARMUP}s warm-up, access log ${ACCESS_LOG:-true}, tracing ${TRACING:-off}"
printf '%-34s %12s %12s %12s\n' "" "direct" "gateway" "ratio/added"
printf '%-34s %12.0f %12.0f %11.1f%%\n' "saturation: requests/s" "$d_rps" "$g_rps" "$(echo "100*$g_rps/$d_rps" | bc -l)"
printf '%-34s %12.3f %12.3f %+11.3f\n' "saturation: p50 ms" "$d_p50" "$g_p50" "$(echo "$g_p50-$d_p50" | bc -l)"
printf '%-34s %12s %12.1f\n' "saturation: gateway CPU us/request" "" \
  "$(echo "($cpu_after-$cpu_before)*1000000/$(getconf CLK_TCK)/($g_rps*$DURATION)" | bc -l)"
printf '%-34s %12.0f %12.0f\n' "paced (~1,000/s): requests/s" "$dr_rps" "$gr_rps"
printf '%-34s %12.3f %12.3f %+11.3f\n' "paced (~1,000/s): p50 ms" "$dr_p50" "$gr_p50" "$(echo "$gr_p50-$dr_p50" | bc -l)"
printf '%-34s %12.3f %12.3f %+11.3f\n' "paced (~1,000/s): p99 ms" "$dr_p99" "$gr_p99" "$(echo "$gr_p99-$dr_p99" | bc -l)"
