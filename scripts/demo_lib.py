"""What `make demo` sets up, reads back and shows, one function per stage.

scripts/demo.sh calls it as `python scripts/demo_lib.py STAGE ARGS…`; each stage prints what the
demo shows (or the values the script needs, one per line). Everything talks to loopback only: the
endpoints come from demo.sh, the credentials from lib.sh's `loopback_env`.
"""

import json
import pathlib
import re
import sys
import urllib.request

SNS_QUEUE = "syncwarden-demo-sns"


def _client(service, endpoint):
    import boto3  # only the stages that talk to moto need it

    return boto3.client(service, endpoint_url=endpoint)


def _queue_arn(sqs, queue):
    return sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _get_json(url):
    return json.load(urllib.request.urlopen(url))


# --- setting up ------------------------------------------------------------------------------


def notify_targets(endpoint, slack):
    """Where the notifier sends: an SNS topic with a queue subscribed, and Slack through secrets
    that hold the webhook URL and the bot token. Prints the topic ARN and the two secret ARNs."""
    sns, sqs = _client("sns", endpoint), _client("sqs", endpoint)
    secrets = _client("secretsmanager", endpoint)
    topic = sns.create_topic(Name="syncwarden-demo")["TopicArn"]
    queue = sqs.create_queue(QueueName=SNS_QUEUE)["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=_queue_arn(sqs, queue))
    hook = secrets.create_secret(Name="syncwarden/slack-webhook",
                                 SecretString=slack + "/services/T0000/B0000/XXXXXXXX")["ARN"]
    token = secrets.create_secret(Name="syncwarden/slack-bot-token", SecretString="xoxb-test-token")["ARN"]
    print(topic)
    print(hook)
    print(token)


def blocker_bus(endpoint, bus):
    """The bus the poller announces blockers on; a rule copies them to a queue of the same name."""
    events, sqs = _client("events", endpoint), _client("sqs", endpoint)
    events.create_event_bus(Name=bus)
    queue = sqs.create_queue(QueueName=bus)["QueueUrl"]
    events.put_rule(Name=bus, EventBusName=bus, EventPattern='{"source": ["syncwarden.poller"]}')
    events.put_targets(Rule=bus, EventBusName=bus, Targets=[{"Id": "queue", "Arn": _queue_arn(sqs, queue)}])


# --- the events ------------------------------------------------------------------------------


def in_time_order(events):
    """The event files under `events` (or that one file), by the events' own time."""
    root = pathlib.Path(events)
    files = [root] if root.is_file() else sorted(root.rglob("*.json"))

    def key(p):
        try:
            return (json.loads(p.read_text()).get("time", ""), str(p))
        except Exception:
            return ("", str(p))

    for p in sorted(files, key=key):
        print(p)


def function_for(file):
    """Which function EventBridge would route this event to (empty: none takes its source)."""
    source = json.load(open(file)).get("source", "")
    print({"aws.codepipeline": "pipeline-events",
           "aws.codeconnections": "sync-events",
           "aws.cloudformation": "sync-events"}.get(source, ""))


def malformed(src, out):
    """A copy of `src` without detail.status."""
    e = json.load(open(src))
    del e["detail"]["status"]
    e["id"] = "demo-malformed-1"
    json.dump(e, open(out, "w"))


def unrelated(src, out):
    """A copy of `src` for a stack no Git sync manages."""
    e = json.load(open(src))
    e["id"] = "demo-unrelated-1"
    e["detail"]["stack-id"] = e["detail"]["stack-id"].replace("network-core", "cdk-toolkit")
    e["resources"] = [e["detail"]["stack-id"]]
    json.dump(e, open(out, "w"))


def recorded(file, answer):
    """One line for a recording function's answer."""
    o = json.loads(answer)
    if o.get("outcome") == "ignored":
        print(f"  skip   {file:<52} ignored: {o['reason']}")
        return
    state = {"written": f"state → {o.get('health')}", "unchanged": "state unchanged",
             "untracked": "no Git sync manages this stack"}[o["state"]]
    history = {"new": "recorded", "duplicate": "already recorded", "skipped": "not recorded"}[o["history"]]
    print(f"  ok     {file:<52} {o['resource']}  {o['status']} — {history}, {state}")


def failed(file, text):
    """One line for a function's error, as cargo-lambda framed it: the error type and message."""
    text = re.sub(r"Was this behavior unexpected.*", "", text, flags=re.S)
    print(f"  error  {file:<52} " + " ".join(re.sub(r"[│×]", " ", text).split()))


# --- the poller ------------------------------------------------------------------------------


def poll(answer):
    """The first poll's report: what it found and announced."""
    r = json.loads(answer)
    print(f"  polled {r['polled']} of {r['targets']} targets (sweep complete: {r['complete']}), "
          f"{r['state_writes']} state writes, {len(r['failures'])} failures")
    for line in r["recorded"]:
        print(f"  found  {line}")
    for blocker in r["blockers_emitted"]:
        print(f"  announced Sync Blocker Detected: {blocker}")


def poll_again(answer):
    """A later poll's report, in one line."""
    r = json.loads(answer)
    print(f"  polled {r['polled']} targets, found {len(r['recorded'])} new, {r['state_writes']} state writes")


def on_the_bus(endpoint, bus):
    """The announcements the bus's rule copied to its queue (left on the queue)."""
    sqs = _client("sqs", endpoint)
    queue = sqs.get_queue_url(QueueName=bus)["QueueUrl"]
    for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
        e = json.loads(m["Body"])
        d = e["detail"]
        print(f"  on the bus: {e['detail-type']} {d['stack']} {d['blockerId']}: {d.get('reason', '')}")


# --- auto-resolve ----------------------------------------------------------------------------


def blocker_event(endpoint, bus, out):
    """The announcement, taken again from the bus's queue as the rule would deliver it (the
    sample event if none is there), written to `out`."""
    sqs = _client("sqs", endpoint)
    queue = sqs.get_queue_url(QueueName=bus)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, VisibilityTimeout=0).get("Messages", [])
    event = (json.loads(messages[0]["Body"]) if messages
             else json.load(open("events/auto-resolve/sync-blocker-detected.json")))
    json.dump(event, open(out, "w"))


def resolved(report_file):
    """The auto-resolve function's report: the decision, its rule and outcome, and why."""
    r = json.load(open(report_file))
    d = r.get("decision") or {}
    print(f"    {r['stack']} blocker {r['blocker_id']}: {d.get('decision')} by rule {d.get('rule')} -> {r['outcome']}")
    print(f"    why: {d.get('reason') or d.get('why')}")


def emulator_blocker(emulator):
    """payments-api's blocker and latest sync, as the control-plane emulator now holds them."""
    s = _get_json(emulator + "/admin/scenario")["stacks"]["payments-api"]
    b, sync = s["blockers"][0], s["latest_sync"]
    print(f"  in the emulator: blocker {b['status']} ({b.get('resolved_reason', '')[:90]}…)")
    print(f"  payments-api sync resumed: {sync['status']} on {sync['target_sha'][:7]}")


# --- the notifier ----------------------------------------------------------------------------


def stream_batch(endpoint, table, out):
    """The table's stream, read from moto, as the batch Lambda hands the notifier: state changes
    only (what the event source filter passes), times as epoch seconds. Written to `out`."""
    arn = _client("dynamodb", endpoint).describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = _client("dynamodbstreams", endpoint)
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = streams.get_records(ShardIterator=it)
            records += page["Records"]
            it = page.get("NextShardIterator") if page["Records"] else None

    def lambda_shape(r):
        r["dynamodb"]["ApproximateCreationDateTime"] = r["dynamodb"]["ApproximateCreationDateTime"].timestamp()
        r["eventSourceARN"] = arn
        return r

    state = [lambda_shape(r) for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "STATE"]
    json.dump({"Records": state}, open(out, "w"), default=str)
    print(f"  {len(records)} stream records, {len(state)} of them state changes")


def notifications(slack, endpoint):
    """The notifications as they arrived: every Slack call, and the SNS messages (taken off the
    subscribed queue)."""
    messages = _get_json(slack + "/admin/messages")
    print(f"  Slack: {len(messages)} calls")
    for m in messages:
        where = {"webhook": "webhook", "update": "bot: root edited",
                 "post_message": "bot: reply in thread" if m.get("thread_ts") else "bot: new root"}[m["kind"]]
        print(f"    {where:<21}| {m['body'].get('text', '')}")
    sqs = _client("sqs", endpoint)
    queue = sqs.get_queue_url(QueueName=SNS_QUEUE)["QueueUrl"]
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


def slack_calls(slack):
    """How many calls the local Slack server has taken."""
    print(len(_get_json(slack + "/admin/messages")))


STAGES = {f.__name__.replace("_", "-"): f for f in [
    notify_targets, blocker_bus, in_time_order, function_for, malformed, unrelated, recorded, failed,
    poll, poll_again, on_the_bus, blocker_event, resolved, emulator_blocker, stream_batch,
    notifications, slack_calls,
]}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in STAGES:
        sys.exit(f"usage: demo_lib.py {{{','.join(STAGES)}}} ARGS…")
    STAGES[sys.argv[1]](*sys.argv[2:])
