#!/usr/bin/env bash
# `make demo`: syncwarden's main job, locally and on loopback only.
#
# Starts moto's server (DynamoDB), creates the table from the one schema, runs every event in
# events/ (or $EVENTS) through the real function binaries by the Lambda Runtime API
# (`cargo lambda watch` + `cargo lambda invoke`), in event-time order. Then the control-plane
# emulator starts with a scenario (emulator/scenarios/demo.json, or $SCENARIO) and one poll runs
# through the real poller binary. Then the table's stream (read from moto) goes through the real
# notifier binary, and the demo shows the notifications as they arrived: the Slack messages on
# the local Slack server, the SNS subjects and attributes from a subscribed queue. Finally it
# prints each resource's current state and history with the `syncwarden` CLI. Stops everything
# it started. What each stage sets up, reads back and shows is in scripts/demo_lib.py.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

EVENTS=${EVENTS:-events}
SCENARIO=${SCENARIO:-emulator/scenarios/demo.json}
TABLE=syncwarden-demo
BUS=syncwarden-demo-events
[ -d "$EVENTS" ] || [ -f "$EVENTS" ] || { echo "EVENTS=$EVENTS: no such file or directory" >&2; exit 2; }

ensure_venv demo
loopback_env
export PATH="$VENV/bin:$PATH"   # cargo-lambda (and the zig it brings) from the venv

log "building the functions, the CLI and the emulator"
cargo build --quiet -p sync-events -p pipeline-events -p poller -p syncwarden-cli -p syncwarden-emulator
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
syncwarden() { "$TARGET_DIR/debug/syncwarden" "$@"; }
demo() { "$VENV/bin/python" "$ROOT/scripts/demo_lib.py" "$@"; }   # one stage's setup or read-back

start_moto
export AWS_ENDPOINT_URL="$MOTO_ENDPOINT" TABLE_NAME="$TABLE"
syncwarden init

EMULATOR_PORT=$(free_port)
SLACK_PORT=$(free_port)
start_bg "$STATE_DIR/emulator.log" "$TARGET_DIR/debug/syncwarden-emulator" --scenario "$SCENARIO" \
  --port "$EMULATOR_PORT" --slack-port "$SLACK_PORT"
EMULATOR="http://127.0.0.1:$EMULATOR_PORT"
SLACK="http://127.0.0.1:$SLACK_PORT"
wait_http "$EMULATOR/admin/calls" 30 || { cat "$STATE_DIR/emulator.log" >&2; exit 1; }
wait_http "$SLACK/admin/messages" 30 || { cat "$STATE_DIR/emulator.log" >&2; exit 1; }
log "control-plane emulator (CodeConnections, CodePipeline) on $EMULATOR, scenario $SCENARIO; Slack API on $SLACK"

# Where the notifier sends: an SNS topic with a queue subscribed (read back below), and Slack
# through secrets that hold the webhook URL and the bot token, as in AWS.
mapfile -t NOTIFY < <(demo notify-targets "$MOTO_ENDPOINT" "$SLACK")

# The poller announces new blockers on this bus; a rule copies them to a queue we read back.
demo blocker-bus "$MOTO_ENDPOINT" "$BUS"

LAMBDA_PORT=$(free_port)
log "Lambda Runtime API (cargo lambda watch) on 127.0.0.1:$LAMBDA_PORT"
# --timeout: the invocation deadline the functions see (the poller stops before it).
start_bg "$STATE_DIR/lambda.log" cargo lambda watch --ignore-changes --quiet --timeout 120 \
  --invoke-address 127.0.0.1 --invoke-port "$LAMBDA_PORT" \
  --env-var "TABLE_NAME=$TABLE,AWS_ENDPOINT_URL=$MOTO_ENDPOINT,AWS_REGION=$AWS_REGION,AWS_ACCESS_KEY_ID=testing,AWS_SECRET_ACCESS_KEY=testing,AWS_SESSION_TOKEN=testing,AWS_EC2_METADATA_DISABLED=true,RUST_LOG=info" \
  --env-var "AWS_ENDPOINT_URL_CODECONNECTIONS=$EMULATOR,AWS_ENDPOINT_URL_CODEPIPELINE=$EMULATOR,EVENT_BUS_NAME=$BUS,STUCK_AFTER_MINUTES=60,POLL_STOP_MARGIN_SECONDS=2" \
  --env-var "AWS_ENDPOINT_URL_CLOUDFORMATION=$EMULATOR,AUTO_RESOLVE_MODE=enforce,AUTO_RESOLVE_STACKS=payments-*,AUTO_RESOLVE_REASONS=*rolled back*" \
  --env-var "SNS_TOPIC_ARN=${NOTIFY[0]},SLACK_WEBHOOK_SECRET_ARN=${NOTIFY[1]},SLACK_BOT_TOKEN_SECRET_ARN=${NOTIFY[2]},SLACK_CHANNEL=C0PLATFORM,SLACK_API_BASE=$SLACK/api"
wait_http "http://127.0.0.1:$LAMBDA_PORT/" 120 || { cat "$STATE_DIR/lambda.log" >&2; exit 1; }

lambda() { # function, event file → the function's answer (JSON), by the Lambda Runtime API
  cargo lambda invoke "$1" --invoke-address 127.0.0.1 --invoke-port "$LAMBDA_PORT" \
    --data-file "$2" --output-format json
}
invoke() { # function, event file → prints one line: the function's answer or its error
  local out
  if out=$(lambda "$1" "$2" 2>&1); then demo recorded "$2" "$out"; else demo failed "$2" "$out"; fi
}

log "recording $EVENTS through the functions, in event-time order"
# Sort by the events' own time: the order they happened, not the order of file names.
mapfile -t FILES < <(demo in-time-order "$EVENTS")
for file in "${FILES[@]}"; do
  fn=$(demo function-for "$file")
  if [ -z "$fn" ]; then printf '  skip   %-52s (no function takes this source yet)\n' "$file"; continue; fi
  invoke "$fn" "$file"
done

if [ "$EVENTS" = events ]; then
  log "EventBridge redelivers an event: recorded once"
  invoke sync-events events/codeconnections/resource-sync-failed.json
  log "a malformed event: a precise error (in AWS, the on-failure destination keeps it)"
  demo malformed events/codeconnections/resource-sync-failed.json "$STATE_DIR/malformed.json"
  invoke sync-events "$STATE_DIR/malformed.json"
  log "a CloudFormation event for a stack no Git sync manages: not recorded, no write"
  demo unrelated events/cloudformation/stack-update-complete.json "$STATE_DIR/unrelated.json"
  invoke sync-events "$STATE_DIR/unrelated.json"
  log "an event that is not this function's: ignored with the reason, nothing written, no DLQ"
  invoke sync-events events/codepipeline/pipeline-failed.json
fi

log "one poll (the poller function, on its schedule event): what the events missed"
demo poll "$(lambda poller events/schedule/scheduled-event.json)"
demo on-the-bus "$MOTO_ENDPOINT" "$BUS"
log "a second poll with nothing changed: no writes"
demo poll-again "$(lambda poller events/schedule/scheduled-event.json)"

log "auto-resolve (enforce mode, payments-* allowed): a manual dry-run request, then the blocker event the poll announced"
demo blocker-event "$MOTO_ENDPOINT" "$BUS" "$STATE_DIR/blocker-event.json"
for request in events/auto-resolve/manual-request.json "$STATE_DIR/blocker-event.json"; do
  echo "  request: $request"
  lambda auto-resolve-blocker "$request" > "$STATE_DIR/resolve-report.json"
  demo resolved "$STATE_DIR/resolve-report.json"
done
demo emulator-blocker "$EMULATOR"

log "the table's stream through the notifier (state changes only, as the event source filter passes them)"
demo stream-batch "$MOTO_ENDPOINT" "$TABLE" "$STATE_DIR/stream-batch.json"
echo "  notifier answered: $(lambda notifier "$STATE_DIR/stream-batch.json")"
log "the notifications, as they arrived"
demo notifications "$SLACK" "$MOTO_ENDPOINT"
log "the stream redelivers the same batch: nothing is sent twice"
before=$(demo slack-calls "$SLACK")
echo "  notifier answered: $(lambda notifier "$STATE_DIR/stream-batch.json")"
after=$(demo slack-calls "$SLACK")
echo "  Slack calls before: $before, after: $after"

log "current state (syncwarden status)"
syncwarden status
log "failing only (syncwarden status --failing)"
syncwarden status --failing
mapfile -t RESOURCES < <(syncwarden status --names)
for resource in "${RESOURCES[@]}"; do
  log "syncwarden history $resource"
  syncwarden history "$resource"
done
log "done; stopping the local servers"
