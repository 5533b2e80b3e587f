#!/usr/bin/env bash
# `make demo`: syncwarden's main job, locally and on loopback only.
#
# Starts moto's server (DynamoDB), creates the table from the one schema, runs every event in
# events/ (or $EVENTS) through the real function binaries by the Lambda Runtime API
# (`cargo lambda watch` + `cargo lambda invoke`), in event-time order, then prints each
# resource's current state and history with the `syncwarden` CLI. Stops everything it started.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

EVENTS=${EVENTS:-events}
TABLE=syncwarden-demo
[ -d "$EVENTS" ] || [ -f "$EVENTS" ] || { echo "EVENTS=$EVENTS: no such file or directory" >&2; exit 2; }

ensure_venv demo
loopback_env
export PATH="$VENV/bin:$PATH"   # cargo-lambda (and the zig it brings) from the venv

log "building the functions and the CLI"
cargo build --quiet -p sync-events -p pipeline-events -p syncwarden-cli
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
syncwarden() { "$TARGET_DIR/debug/syncwarden" "$@"; }

start_moto
export AWS_ENDPOINT_URL="$MOTO_ENDPOINT" TABLE_NAME="$TABLE"
syncwarden init

LAMBDA_PORT=$(free_port)
log "Lambda Runtime API (cargo lambda watch) on 127.0.0.1:$LAMBDA_PORT"
start_bg "$STATE_DIR/lambda.log" cargo lambda watch --ignore-changes --quiet \
  --invoke-address 127.0.0.1 --invoke-port "$LAMBDA_PORT" \
  --env-var "TABLE_NAME=$TABLE,AWS_ENDPOINT_URL=$MOTO_ENDPOINT,AWS_REGION=$AWS_REGION,AWS_ACCESS_KEY_ID=testing,AWS_SECRET_ACCESS_KEY=testing,AWS_SESSION_TOKEN=testing,AWS_EC2_METADATA_DISABLED=true,RUST_LOG=info"
wait_http "http://127.0.0.1:$LAMBDA_PORT/" 120 || { cat "$STATE_DIR/lambda.log" >&2; exit 1; }

invoke() { # function, event file → prints one line: the function's answer or its error
  local out
  if out=$(cargo lambda invoke "$1" --invoke-address 127.0.0.1 --invoke-port "$LAMBDA_PORT" \
             --data-file "$2" --output-format json 2>&1); then
    "$VENV/bin/python" - "$2" "$out" <<'PY'
import json, sys
o = json.loads(sys.argv[2])
state = {"written": f"state → {o.get('health')}", "unchanged": "state unchanged",
         "untracked": "no Git sync manages this stack"}[o["state"]]
history = {"new": "recorded", "duplicate": "already recorded", "skipped": "not recorded"}[o["history"]]
print(f"  ok     {sys.argv[1]:<52} {o['resource']}  {o['status']} — {history}, {state}")
PY
  else
    # cargo-lambda frames the function's error; keep the error type and message only.
    "$VENV/bin/python" - "$2" "$out" <<'PY'
import re, sys
text = re.sub(r"Was this behavior unexpected.*", "", sys.argv[2], flags=re.S)
print(f"  error  {sys.argv[1]:<52} " + " ".join(re.sub(r"[│×]", " ", text).split()))
PY
  fi
}

function_for() { # which function EventBridge would route this event to
  case $("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("source",""))' "$1") in
    aws.codepipeline) echo pipeline-events ;;
    aws.codeconnections|aws.cloudformation) echo sync-events ;;
    *) echo "" ;;
  esac
}

log "recording $EVENTS through the functions, in event-time order"
# Sort by the events' own time: the order they happened, not the order of file names.
mapfile -t FILES < <("$VENV/bin/python" - "$EVENTS" <<'PY'
import json, pathlib, sys
root = pathlib.Path(sys.argv[1])
files = [root] if root.is_file() else sorted(root.rglob("*.json"))
def key(p):
    try: return (json.loads(p.read_text()).get("time", ""), str(p))
    except Exception: return ("", str(p))
for p in sorted(files, key=key): print(p)
PY
)
for file in "${FILES[@]}"; do
  fn=$(function_for "$file")
  if [ -z "$fn" ]; then printf '  skip   %-52s (no function takes this source yet)\n' "$file"; continue; fi
  invoke "$fn" "$file"
done

if [ "$EVENTS" = events ]; then
  log "EventBridge redelivers an event: recorded once"
  invoke sync-events events/codeconnections/resource-sync-failed.json
  log "a malformed event: a precise error (in AWS, the on-failure destination keeps it)"
  "$VENV/bin/python" -c 'import json; e=json.load(open("events/codeconnections/resource-sync-failed.json")); del e["detail"]["status"]; e["id"]="demo-malformed-1"; json.dump(e, open("'"$STATE_DIR"'/malformed.json","w"))'
  invoke sync-events "$STATE_DIR/malformed.json"
  log "a CloudFormation event for a stack no Git sync manages: not recorded, no write"
  "$VENV/bin/python" -c 'import json; e=json.load(open("events/cloudformation/stack-update-complete.json")); e["id"]="demo-unrelated-1"; e["detail"]["stack-id"]=e["detail"]["stack-id"].replace("network-core","cdk-toolkit"); e["resources"]=[e["detail"]["stack-id"]]; json.dump(e, open("'"$STATE_DIR"'/unrelated.json","w"))'
  invoke sync-events "$STATE_DIR/unrelated.json"
  log "an event for the wrong function: names source and detail-type"
  invoke sync-events events/codepipeline/pipeline-failed.json
fi

log "current state (syncwarden status)"
syncwarden status
log "failing only (syncwarden status --failing)"
syncwarden status --failing
mapfile -t RESOURCES < <(syncwarden status --json | "$VENV/bin/python" -c 'import json,sys; [print(s["resource"]) for s in json.load(sys.stdin)]')
for resource in "${RESOURCES[@]}"; do
  log "syncwarden history $resource"
  syncwarden history "$resource"
done
log "done; stopping the local servers"
