# Shared by the project's scripts: the venv, the loopback-only AWS environment, and the local
# servers' lifecycle. Source it; do not run it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
STATE_DIR="$ROOT/.local"
mkdir -p "$STATE_DIR"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs tools/requirements-<name>.txt into the project's venv, once per change of the file.
ensure_venv() {
  local req="$ROOT/tools/requirements-$1.txt"
  [ -x "$VENV/bin/python" ] || { log "creating $VENV"; python3 -m venv "$VENV"; }
  local stamp="$VENV/.installed-$1-$(cat "$req" "$ROOT/tools/requirements-test.txt" | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    log "installing $(basename "$req") into .venv"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    touch "$stamp"
  fi
}

# Every local process talks to loopback only: a fixed region, dummy credentials, no instance
# metadata probe (the SDK would otherwise try 169.254.169.254).
loopback_env() {
  export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
  export AWS_EC2_METADATA_DISABLED=true
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  unset AWS_PROFILE AWS_DEFAULT_PROFILE
  export SAM_CLI_TELEMETRY=0
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until $1 answers HTTP (any status), up to $2 seconds.
wait_http() {
  local url=$1 deadline=$((SECONDS + ${2:-30}))
  until "$VENV/bin/python" - "$url" <<'PY' 2>/dev/null; do
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass
PY
    if [ $SECONDS -ge $deadline ]; then log "timed out waiting for $url"; return 1; fi
    sleep 0.2
  done
}

PIDS=()
# Stops every process this script started (registered in PIDS), whatever way it exits.
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap stop_all EXIT INT TERM

# Starts a command in its own process group (so stop_all takes its children too).
start_bg() {
  local logfile=$1; shift
  setsid "$@" >"$logfile" 2>&1 &
  PIDS+=($!)
}

# Starts moto's server on a free loopback port; sets MOTO_ENDPOINT.
start_moto() {
  local port; port=$(free_port)
  start_bg "$STATE_DIR/moto.log" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port"
  MOTO_ENDPOINT="http://127.0.0.1:$port"
  wait_http "$MOTO_ENDPOINT/moto-api/" 60 || { cat "$STATE_DIR/moto.log" >&2; return 1; }
  log "moto (DynamoDB) on $MOTO_ENDPOINT"
}
