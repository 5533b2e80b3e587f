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
# it started.
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
mapfile -t NOTIFY < <("$VENV/bin/python" - "$MOTO_ENDPOINT" "$SLACK" <<'PY'
import boto3, sys
endpoint, slack = sys.argv[1], sys.argv[2]
sns = boto3.client("sns", endpoint_url=endpoint)
sqs = boto3.client("sqs", endpoint_url=endpoint)
secrets = boto3.client("secretsmanager", endpoint_url=endpoint)
topic = sns.create_topic(Name="syncwarden-demo")["TopicArn"]
queue = sqs.create_queue(QueueName="syncwarden-demo-sns")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
hook = secrets.create_secret(Name="syncwarden/slack-webhook", SecretString=slack + "/services/T0000/B0000/XXXXXXXX")["ARN"]
token = secrets.create_secret(Name="syncwarden/slack-bot-token", SecretString="xoxb-test-token")["ARN"]
print(topic); print(hook); print(token)
PY
)

# The poller announces new blockers on this bus; a rule copies them to a queue we read back.
"$VENV/bin/python" - "$MOTO_ENDPOINT" "$BUS" <<'PY'
import boto3, sys
endpoint, bus = sys.argv[1], sys.argv[2]
events = boto3.client("events", endpoint_url=endpoint)
sqs = boto3.client("sqs", endpoint_url=endpoint)
events.create_event_bus(Name=bus)
queue = sqs.create_queue(QueueName=bus)["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
events.put_rule(Name=bus, EventBusName=bus, EventPattern='{"source": ["syncwarden.poller"]}')
events.put_targets(Rule=bus, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
PY

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

invoke() { # function, event file → prints one line: the function's answer or its error
  local out
  if out=$(cargo lambda invoke "$1" --invoke-address 127.0.0.1 --invoke-port "$LAMBDA_PORT" \
             --data-file "$2" --output-format json 2>&1); then
    "$VENV/bin/python" - "$2" "$out" <<'PY'
import json, sys
o = json.loads(sys.argv[2])
if o.get("outcome") == "ignored":
    print(f"  skip   {sys.argv[1]:<52} ignored: {o['reason']}")
    sys.exit(0)
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
  log "an event that is not this function's: ignored with the reason, nothing written, no DLQ"
  invoke sync-events events/codepipeline/pipeline-failed.json
fi

log "one poll (the poller function, on its schedule event): what the events missed"
POLL=$(cargo lambda invoke poller --invoke-address 127.0.0.1 --invoke-port "$LAMBDA_PORT" \
         --data-file events/schedule/scheduled-event.json --output-format json)
"$VENV/bin/python" - "$POLL" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"  polled {r['polled']} of {r['targets']} targets (sweep complete: {r['complete']}), "
      f"{r['state_writes']} state writes, {len(r['failures'])} failures")
for line in r["recorded"]:
    print(f"  found  {line}")
for blocker in r["blockers_emitted"]:
    print(f"  announced Sync Blocker Detected: {blocker}")
PY
"$VENV/bin/python" - "$MOTO_ENDPOINT" "$BUS" <<'PY'
import boto3, json, sys
sqs = boto3.client("sqs", endpoint_url=sys.argv[1])
queue = sqs.get_queue_url(QueueName=sys.argv[2])["QueueUrl"]
for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
    e = json.loads(m["Body"])
    d = e["detail"]
    print(f"  on the bus: {e['detail-type']} {d['stack']} {d['blockerId']}: {d.get('reason', '')}")
PY
log "a second poll with nothing changed: no writes"
POLL=$(cargo lambda invoke poller --invoke-address 127.0.0.1 --invoke-port "$LAMBDA_PORT" \
         --data-file events/schedule/scheduled-event.json --output-format json)
"$VENV/bin/python" - "$POLL" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"  polled {r['polled']} targets, found {len(r['recorded'])} new, {r['state_writes']} state writes")
PY

log "auto-resolve (enforce mode, payments-* allowed): a manual dry-run request, then the blocker event the poll announced"
"$VENV/bin/python" - "$MOTO_ENDPOINT" "$BUS" "$STATE_DIR/blocker-event.json" <<'PY'
import boto3, json, sys
endpoint, bus, out = sys.argv[1:]
sqs = boto3.client("sqs", endpoint_url=endpoint)
queue = sqs.get_queue_url(QueueName=bus)["QueueUrl"]
# The announcement was read (and left on the queue) above; take it again, as the rule would deliver it.
messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, VisibilityTimeout=0).get("Messages", [])
event = json.loads(messages[0]["Body"]) if messages else json.load(open("events/auto-resolve/sync-blocker-detected.json"))
json.dump(event, open(out, "w"))
PY
for request in events/auto-resolve/manual-request.json "$STATE_DIR/blocker-event.json"; do
  echo "  request: $request"
  cargo lambda invoke auto-resolve-blocker --invoke-address 127.0.0.1 --invoke-port "$LAMBDA_PORT" \
    --data-file "$request" --output-format json > "$STATE_DIR/resolve-report.json"
  "$VENV/bin/python" - "$STATE_DIR/resolve-report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r.get("decision") or {}
print(f"    {r['stack']} blocker {r['blocker_id']}: {d.get('decision')} by rule {d.get('rule')} -> {r['outcome']}")
print(f"    why: {d.get('reason') or d.get('why')}")
PY
done
"$VENV/bin/python" - "$EMULATOR" <<'PY'
import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1] + "/admin/scenario"))["stacks"]["payments-api"]
b, sync = s["blockers"][0], s["latest_sync"]
print(f"  in the emulator: blocker {b['status']} ({b.get('resolved_reason', '')[:90]}…)")
print(f"  payments-api sync resumed: {sync['status']} on {sync['target_sha'][:7]}")
PY

log "the table's stream through the notifier (state changes only, as the event source filter passes them)"
"$VENV/bin/python" - "$MOTO_ENDPOINT" "$TABLE" "$STATE_DIR/stream-batch.json" <<'PY'
import boto3, json, sys
endpoint, table, out = sys.argv[1:]
arn = boto3.client("dynamodb", endpoint_url=endpoint).describe_table(TableName=table)["Table"]["LatestStreamArn"]
streams = boto3.client("dynamodbstreams", endpoint_url=endpoint)
records = []
for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    while it:
        page = streams.get_records(ShardIterator=it)
        records += page["Records"]
        it = page.get("NextShardIterator") if page["Records"] else None
def lambda_shape(r):
    # What Lambda hands the function: the record as GetRecords returns it, times as epoch seconds.
    r["dynamodb"]["ApproximateCreationDateTime"] = r["dynamodb"]["ApproximateCreationDateTime"].timestamp()
    r["eventSourceARN"] = arn
    return r
state = [lambda_shape(r) for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "STATE"]
json.dump({"Records": state}, open(out, "w"), default=str)
print(f"  {len(records)} stream records, {len(state)} of them state changes")
PY
notify() {
  cargo lambda invoke notifier --invoke-address 127.0.0.1 --invoke-port "$LAMBDA_PORT" \
    --data-file "$STATE_DIR/stream-batch.json" --output-format json
}
echo "  notifier answered: $(notify)"
log "the notifications, as they arrived"
"$VENV/bin/python" - "$SLACK" "$MOTO_ENDPOINT" <<'PY'
import boto3, json, sys, urllib.request
slack, endpoint = sys.argv[1:]
messages = json.load(urllib.request.urlopen(slack + "/admin/messages"))
print(f"  Slack: {len(messages)} calls")
for m in messages:
    where = {"webhook": "webhook", "update": "bot: root edited",
             "post_message": "bot: reply in thread" if m.get("thread_ts") else "bot: new root"}[m["kind"]]
    print(f"    {where:<21}| {m['body'].get('text', '')}")
sqs = boto3.client("sqs", endpoint_url=endpoint)
queue = sqs.get_queue_url(QueueName="syncwarden-demo-sns")["QueueUrl"]
published = []
while True:
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    if not got:
        break
    for m in got:
        published.append(json.loads(m["Body"]))
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
print(f"  SNS: {len(published)} messages")
for n in published:
    attrs = " ".join(f"{k}={v['Value']}" for k, v in sorted(n.get("MessageAttributes", {}).items()))
    print(f"    {n['Subject']:<62} {attrs}")
PY
log "the stream redelivers the same batch: nothing is sent twice"
before=$("$VENV/bin/python" -c 'import json,sys,urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1] + "/admin/messages"))))' "$SLACK")
echo "  notifier answered: $(notify)"
after=$("$VENV/bin/python" -c 'import json,sys,urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1] + "/admin/messages"))))' "$SLACK")
echo "  Slack calls before: $before, after: $after"

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
