# Sourced by the benchmark and load scripts: Debian's docker-registry on
# loopback, its config and storage under a directory of the caller's.
#
#   start_registry DIR [PORT]
#
# starts it on PORT (a free one when not given), waits until it accepts
# connections, and sets REGISTRY (its pid, for the caller's cleanup) and
# HOST (127.0.0.1:PORT). Exits 1 with the registry's log if it dies first.
start_registry() {
  local dir=$1 port=${2:-}
  [ -n "$port" ] || port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  HOST=127.0.0.1:$port
  # JSON is YAML.
  cat > "$dir/registry.yml" <<JSON
{"version": "0.1", "log": {"level": "error"},
 "storage": {"filesystem": {"rootdirectory": "$dir/storage"}, "maintenance": {"uploadpurging": {"enabled": false}}},
 "http": {"addr": "$HOST"}}
JSON
  docker-registry serve "$dir/registry.yml" > "$dir/registry.log" 2>&1 &
  REGISTRY=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && return 0
    kill -0 "$REGISTRY" 2>/dev/null || { echo "docker-registry exited:" >&2; cat "$dir/registry.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "docker-registry does not accept connections on $HOST" >&2
  exit 1
}
