# Sourced by the bench scripts: an OpenAI-compatible backend that answers instantly (nginx returning
# a fixed chat completion), so that what is measured is the client or gateway in front of it.
#   start_instant_backend PORT WORKDIR    (stopped by: kill "$(cat WORKDIR/nginx.pid)")

start_instant_backend() {
  local port=$1 work=$2
  if ! command -v nginx >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "install Debian's nginx-light first" >&2; return 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  fi
  local reply='{"id":"chatcmpl-1","object":"chat.completion","created":1767225600,"model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there, how can I help?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}'
  cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work;
  server {
    listen 127.0.0.1:$port;
    keepalive_requests 1000000;
    location = /v1/chat/completions { default_type application/json; return 200 '$reply'; }
    location = /v1/models { default_type application/json; return 200 '{"object":"list","data":[]}'; }
  }
}
NGINX
  nginx -c "$work/nginx.conf"
}
