//! The notifier end to end: state changes as the stream delivers them, the real store on moto,
//! Slack on the project's local Slack server, SNS on moto with an SQS subscription read back.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::{Duration, Instant};

use aws_lambda_events::dynamodb::{Event, EventRecord};
use chrono::{TimeZone, Utc};
use shared::clients::{SecretCache, SlackClient, SnsPublisher};
use shared::ids::{EventId, ResourceId, Revision};
use shared::notify::deliver::Notifier;
use shared::notify::incident::IncidentConfig;
use shared::notify::routing::Routing;
use shared::notify::stream::handle_batch;
use shared::observation::{Change, Observation, ObservedBy};
use shared::reconcile::ResourceState;
use shared::status::SyncStatus;
use syncwarden_emulator::slack::{SlackCall, SlackFailure, SlackServer};
use syncwarden_tests::{Fixture, TestTopic, fixture, secret, secretsmanager, sns, topic};

const A: &str = "9f2c1e0b7d4a4c3e8b1f6a5d2c9e0f1a2b3c4d5e";
const B: &str = "4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24";

struct Setup {
    f: Fixture,
    slack: SlackServer,
    topic: TestTopic,
    notifier: Notifier,
    sequence: u64,
    /// The ARNs of the secrets holding the webhook URL and the bot token.
    hook: String,
    token: String,
}

async fn setup(test: &str, flap_minutes: i64) -> Setup {
    setup_with(test, flap_minutes, None).await.0
}

/// A setup whose notifier reaches the store through a fault proxy, when `faults` are given
/// (the changes themselves are recorded directly).
async fn setup_with(
    test: &str,
    flap_minutes: i64,
    faults: Option<syncwarden_emulator::StoreFaults>,
) -> (Setup, Option<syncwarden_emulator::StoreFaultProxy>) {
    let f = fixture(test).await;
    let (notifier_store, proxy) = match faults {
        None => (f.store.clone(), None),
        Some(faults) => {
            let ops = syncwarden_tests::OperationCounter::default();
            let (client, proxy) = syncwarden_tests::faulty_client(&ops, faults).await;
            (shared::HistoryStore::new(client, f.table.clone(), Default::default()), Some(proxy))
        }
    };
    let slack = SlackServer::start().await.unwrap();
    let topic = topic(test).await;
    let hook = secret(&format!("{test}-hook"), &slack.webhook_url()).await;
    let token = secret(&format!("{test}-token"), &slack.token()).await;
    let routes = serde_json::json!({
        "channels": {
            "bot": {"type": "slack_bot", "secret": &token, "channel": "C0PLATFORM"},
            "hook": {"type": "slack_webhook", "secret": &hook},
            "pager": {"type": "sns", "topic_arn": topic.arn},
        },
        "default": ["bot", "hook", "pager"],
        "authors": {"mary.major@acme.example": "U0MARY"},
    });
    let notifier = Notifier::new(
        notifier_store,
        Routing::parse(&routes.to_string()).unwrap(),
        SecretCache::new(secretsmanager()),
        SlackClient::new(slack.api_base()).unwrap(),
        SnsPublisher::new(sns()),
        IncidentConfig { flap_window: chrono::Duration::minutes(flap_minutes) },
    );
    (Setup { f, slack, topic, notifier, sequence: 0, hook, token }, proxy)
}

/// Stores a new value in a secret, as a rotation does.
async fn put_secret(arn: &str, value: &str) {
    secretsmanager().put_secret_value().secret_id(arn).secret_string(value).send().await.unwrap();
}

fn sync(id: &str, minutes: i64, status: SyncStatus, commit: &str) -> Observation {
    Observation {
        resource: "stack/payments-api".parse().unwrap(),
        at: Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
            + chrono::Duration::minutes(minutes),
        event_id: EventId::new(id).unwrap(),
        observed_by: ObservedBy::Event,
        change: Change::GitSync {
            status,
            previous: None,
            provider: Some("GitHub".into()),
            stuck_since: None,
        },
        commit: Some(Revision::new(commit).unwrap()),
        branch: Some("main".parse().unwrap()),
        repository: Some("acme/infra-repo".into()),
        account: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
    }
}

fn image(state: &ResourceState) -> serde_dynamo::Item {
    let mut item: serde_dynamo::Item = serde_dynamo::to_item(state).unwrap();
    item.insert("pk".into(), serde_dynamo::AttributeValue::S(format!("R#{}", state.resource)));
    item.insert("sk".into(), serde_dynamo::AttributeValue::S("STATE".into()));
    item
}

impl Setup {
    /// Records each observation in the real store and turns every state write into the stream
    /// record DynamoDB would deliver for it.
    async fn record(&mut self, observations: &[Observation]) -> Vec<EventRecord> {
        let mut records = Vec::new();
        for o in observations {
            let resource: &ResourceId = &o.resource;
            let before = self.f.store.state(resource).await.unwrap();
            self.f.store.record(o).await.unwrap();
            let after = self.f.store.state(resource).await.unwrap().unwrap();
            if Some(&after) == before.as_ref() {
                continue;
            }
            self.sequence += 1;
            let mut record = EventRecord::default();
            record.event_id = format!("record-{}", self.sequence);
            record.event_name = if before.is_some() { "MODIFY" } else { "INSERT" }.into();
            record.change.sequence_number = Some(format!("{:020}", self.sequence));
            record.change.keys = [
                ("pk".to_owned(), serde_dynamo::AttributeValue::S(format!("R#{resource}"))),
                ("sk".to_owned(), serde_dynamo::AttributeValue::S("STATE".into())),
            ]
            .into_iter()
            .collect::<std::collections::HashMap<_, _>>()
            .into();
            record.change.new_image = image(&after);
            if let Some(before) = &before {
                record.change.old_image = image(before);
            }
            records.push(record);
        }
        records
    }

    async fn deliver(&self, records: &[EventRecord]) -> Vec<Option<String>> {
        let mut event = Event::default();
        event.records = records.to_vec();
        let response =
            handle_batch(&self.notifier, event, Instant::now() + Duration::from_secs(30)).await;
        response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect()
    }

    async fn run(&mut self, observations: &[Observation]) {
        let records = self.record(observations).await;
        assert_eq!(self.deliver(&records).await, Vec::<Option<String>>::new());
    }

    fn slack(&self, kind: SlackCall) -> Vec<syncwarden_emulator::slack::SlackMessage> {
        self.slack.messages().into_iter().filter(|m| m.kind == kind).collect()
    }
}

fn text(message: &syncwarden_emulator::slack::SlackMessage) -> String {
    message.body["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_failure_sends_one_message_per_channel() {
    let mut s = setup("notify-failure", 30).await;
    s.run(&[sync("e1", 0, SyncStatus::InProgress, A), sync("e2", 3, SyncStatus::Failed, A)]).await;

    let hooks = s.slack(SlackCall::Webhook);
    assert_eq!(hooks.len(), 1);
    assert!(text(&hooks[0]).contains("Git sync failed: payments-api"), "{}", text(&hooks[0]));
    let roots = s.slack(SlackCall::PostMessage);
    assert_eq!(roots.len(), 1);
    assert_eq!(
        (roots[0].channel.as_deref(), roots[0].thread_ts.as_deref()),
        (Some("C0PLATFORM"), None)
    );

    let published = s.topic.received().await;
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0]["Subject"], "[FAILING] Git sync failed: payments-api");
    assert_eq!(published[0]["MessageAttributes"]["event_type"]["Value"], "sync_failed");
    assert_eq!(published[0]["MessageAttributes"]["severity"]["Value"], "critical");
}

#[tokio::test]
async fn later_failures_reply_in_the_thread_and_the_first_success_recovers_once() {
    let mut s = setup("notify-thread", 30).await;
    s.run(&[sync("e1", 0, SyncStatus::Failed, A)]).await;
    let root = s.slack(SlackCall::PostMessage)[0].ts.clone();
    s.topic.received().await;

    // Five more failures: replies in the root's thread, the root edited, no new page.
    let more: Vec<Observation> =
        (1..=5).map(|i| sync(&format!("f{i}"), i * 10, SyncStatus::Failed, A)).collect();
    s.run(&more).await;
    let posts = s.slack(SlackCall::PostMessage);
    assert_eq!(posts.len(), 6, "one root and five replies");
    assert!(posts[1..].iter().all(|p| p.thread_ts.as_deref() == Some(root.as_str())));
    assert_eq!(s.slack(SlackCall::Update).len(), 5);
    let pages = s.topic.received().await;
    assert_eq!(pages.len(), 5);
    assert!(
        pages.iter().all(|p| p["MessageAttributes"]["severity"]["Value"] == "warning"),
        "{pages:?}"
    );

    // Green: one recovery notice with the outage (first failure at 09:00, green at 10:12).
    s.run(&[sync("ok", 72, SyncStatus::Succeeded, B)]).await;
    let recovered = s.topic.received().await;
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0]["Subject"], "[RECOVERED] Recovered: payments-api");
    let body = recovered[0]["Message"].as_str().unwrap();
    assert!(
        body.contains("Outage:     1h 12m") && body.contains(&format!("Fixed by:   {B}")),
        "{body}"
    );
    let hooks = s.slack(SlackCall::Webhook);
    assert!(text(hooks.last().unwrap()).contains("1h 12m"), "{}", text(hooks.last().unwrap()));
    let updates = s.slack(SlackCall::Update);
    assert_eq!(updates.last().unwrap().ts, root, "the root now shows the recovery");
}

#[tokio::test]
async fn every_record_delivered_twice_sends_nothing_twice() {
    let mut s = setup("notify-twice", 30).await;
    let records = s
        .record(&[
            sync("e1", 0, SyncStatus::Failed, A),
            sync("e2", 5, SyncStatus::Failed, A),
            sync("e3", 9, SyncStatus::Succeeded, B),
        ])
        .await;
    let doubled: Vec<EventRecord> = records.iter().flat_map(|r| [r.clone(), r.clone()]).collect();
    assert!(s.deliver(&doubled).await.is_empty());
    assert!(s.deliver(&records).await.is_empty(), "a whole batch redelivered");
    assert_eq!(s.slack(SlackCall::Webhook).len(), 3, "opened, updated, resolved: once each");
    assert_eq!(s.slack(SlackCall::PostMessage).len(), 3, "root + 2 replies");
    assert_eq!(s.topic.received().await.len(), 3);
}

#[tokio::test]
async fn slack_down_then_up_delivers_once() {
    let mut s = setup("notify-slack-down", 30).await;
    let records = s.record(&[sync("e1", 0, SyncStatus::Failed, A)]).await;
    // Slack answers 500 to every attempt of both Slack channels (4 attempts each).
    s.slack.fail_next(8, SlackFailure::ServerError);
    let failed = s.deliver(&records).await;
    assert_eq!(failed, [records[0].change.sequence_number.clone()], "reported for a retry");
    assert!(s.slack.messages().is_empty());
    assert_eq!(s.slack.calls(), 8, "each Slack call retried with backoff before giving up");
    assert_eq!(s.topic.received().await.len(), 1, "the SNS page did not wait for Slack");

    // Slack is back; the stream redelivers the record (twice, for good measure).
    assert!(s.deliver(&records).await.is_empty());
    assert!(s.deliver(&records).await.is_empty());
    assert_eq!(s.slack(SlackCall::Webhook).len(), 1);
    assert_eq!(s.slack(SlackCall::PostMessage).len(), 1);
    assert!(s.topic.received().await.is_empty(), "SNS is not sent again");
}

#[tokio::test]
async fn flapping_inside_the_window_is_one_incident() {
    let mut s = setup("notify-flap", 30).await;
    s.run(&[
        sync("e1", 0, SyncStatus::Failed, A),
        sync("e2", 5, SyncStatus::Succeeded, B),
        sync("e3", 10, SyncStatus::Failed, B),
        sync("e4", 15, SyncStatus::Succeeded, B),
    ])
    .await;
    let posts = s.slack(SlackCall::PostMessage);
    assert_eq!(posts.iter().filter(|p| p.thread_ts.is_none()).count(), 1, "one root: one incident");
    let subjects: Vec<String> = s
        .topic
        .received()
        .await
        .iter()
        .map(|m| m["Subject"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        subjects,
        [
            "[FAILING] Git sync failed: payments-api",
            "[RECOVERED] Recovered: payments-api",
            "[FAILING AGAIN] Git sync failed: payments-api",
            "[RECOVERED] Recovered: payments-api",
        ]
    );
}

#[tokio::test]
async fn two_concurrent_invocations_send_once() {
    let mut s = setup("notify-concurrent", 30).await;
    let records = s.record(&[sync("e1", 0, SyncStatus::Failed, A)]).await;
    let (first, second) = tokio::join!(s.deliver(&records), s.deliver(&records));
    // Each may find the other mid-send on some channel and report the record for a retry;
    // neither sends what the other claimed.
    assert!(first.len() <= 1 && second.len() <= 1, "{first:?} {second:?}");
    let again = s.deliver(&records).await;
    assert!(again.is_empty(), "the redelivery finds everything sent: {again:?}");
    assert_eq!(s.slack(SlackCall::Webhook).len(), 1);
    assert_eq!(s.slack(SlackCall::PostMessage).len(), 1);
    assert_eq!(s.topic.received().await.len(), 1);
}

#[tokio::test]
async fn the_commit_author_is_mentioned_where_a_mapping_is_given() {
    let mut s = setup("notify-mention", 30).await;
    let records = s
        .record(&[shared::events::parse_event(
            &syncwarden_tests::sample("codepipeline/pipeline-started.json"),
            shared::events::EventFamily::ALL,
        )
        .unwrap()
        .observation()
        .unwrap()])
        .await;
    s.deliver(&records).await;
    let failed = shared::events::parse_event(
        &syncwarden_tests::sample("codepipeline/pipeline-failed.json"),
        shared::events::EventFamily::ALL,
    )
    .unwrap()
    .observation()
    .unwrap();
    s.run(&[failed]).await;
    let hooks = s.slack(SlackCall::Webhook);
    assert_eq!(hooks.len(), 1);
    assert!(hooks[0].body.to_string().contains("<@U0MARY>"), "{}", hooks[0].body);
    assert!(text(&hooks[0]).contains("Pipeline failed: payments-release"), "{}", text(&hooks[0]));
}

#[tokio::test]
async fn a_rotated_webhook_and_bot_token_work_without_a_redeploy() {
    let mut s = setup("notify-rotated", 30).await;
    s.run(&[sync("e1", 0, SyncStatus::Failed, A)]).await;
    s.topic.received().await;
    // An admin rotates both in Slack (the old ones are revoked) and stores the new values in
    // Secrets Manager; the warm notifier still holds the old ones in its cache.
    let url = s.slack.rotate_webhook();
    let token = s.slack.rotate_token();
    put_secret(&s.hook, &url).await;
    put_secret(&s.token, &token).await;
    let before = s.slack.calls();

    s.run(&[sync("e2", 5, SyncStatus::Failed, A)]).await;
    // Webhook: refused (403 invalid_token), then sent to the new URL. Bot: the reply refused
    // (token_revoked), then sent with the new token; the root's update used the new one.
    assert_eq!(s.slack.calls() - before, 2 + 2 + 1);
    assert_eq!(s.slack(SlackCall::Webhook).len(), 2, "each notice once");
    assert_eq!(s.slack(SlackCall::PostMessage).len(), 2, "root + one reply");
    assert_eq!(s.slack(SlackCall::Update).len(), 1);
    assert_eq!(s.topic.received().await.len(), 1);
}

#[tokio::test]
async fn a_revoked_credential_that_was_not_rotated_fails_the_record_after_one_look() {
    let mut s = setup("notify-revoked", 30).await;
    s.run(&[sync("e1", 0, SyncStatus::Failed, A)]).await;
    s.topic.received().await;
    // Revoked in Slack, but nobody stored a new value: reading the secret again cannot help.
    s.slack.rotate_webhook();
    let before = s.slack.calls();
    let records = s.record(&[sync("e2", 5, SyncStatus::Failed, A)]).await;
    let failed = s.deliver(&records).await;
    assert_eq!(failed, [records[0].change.sequence_number.clone()], "reported, not dropped");
    assert_eq!(s.slack(SlackCall::Webhook).len(), 1, "nothing new reached the webhook");
    // The webhook was tried once (same value after the re-read); the bot reply and update went.
    assert_eq!(s.slack.calls() - before, 1 + 2);
}

#[tokio::test]
async fn a_secret_is_read_again_after_its_ttl_or_at_once_when_evicted() {
    let arn = secret("notify-secret-ttl", "first").await;
    let cache = SecretCache::with_ttl(secretsmanager(), Duration::from_millis(400));
    assert_eq!(cache.get(&arn).await.unwrap().expose(), "first");
    put_secret(&arn, "second").await;
    assert_eq!(cache.get(&arn).await.unwrap().expose(), "first", "within the TTL: cached");
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(cache.get(&arn).await.unwrap().expose(), "second", "after the TTL: read again");
    put_secret(&arn, "third").await;
    cache.evict(&arn).await;
    assert_eq!(cache.get(&arn).await.unwrap().expose(), "third", "evicted: read at once");
    assert_eq!(format!("{:?}", cache.get(&arn).await.unwrap()), "Secret(***)");
}

/// Under 30 % store throttling and some lost responses (written, answered 500), a stream of
/// changes redelivered from its first failed record, as Lambda does, sends every notice exactly
/// once: the same messages, in the same order, as a run without faults.
#[tokio::test]
async fn store_throttling_sends_nothing_twice_and_loses_nothing() {
    let observations = [
        sync("e1", 0, SyncStatus::Failed, A),
        sync("e2", 5, SyncStatus::Failed, A),
        sync("e3", 9, SyncStatus::Succeeded, B),
        sync("e4", 60, SyncStatus::Failed, B),
        sync("e5", 65, SyncStatus::InProgress, B),
        sync("e6", 70, SyncStatus::Failed, B),
        sync("e7", 80, SyncStatus::Succeeded, A),
    ];
    let mut clean = setup("notify-faults-clean", 30).await;
    clean.run(&observations).await;

    let faults = syncwarden_emulator::StoreFaults {
        throttle_rate: 0.3,
        lost_response_rate: 0.05,
        seed: Some(3),
        ..Default::default()
    };
    let (mut s, proxy) = setup_with("notify-faults", 30, Some(faults)).await;
    let records = s.record(&observations).await;
    let mut from = 0;
    for delivery in 1.. {
        assert!(delivery < 100, "still failing after {delivery} deliveries");
        let failed = s.deliver(&records[from..]).await;
        let Some(Some(first)) = failed.first() else { break };
        // The failure names the record by its sequence number; Lambda resumes there.
        from =
            records.iter().position(|r| r.change.sequence_number.as_ref() == Some(first)).unwrap();
    }
    let injected = proxy.unwrap().injected();
    let throttled = injected.get("ProvisionedThroughputExceededException").copied().unwrap_or(0)
        + injected.get("ThrottlingException").copied().unwrap_or(0);
    assert!(throttled > 10, "{injected:?}");

    let texts = |s: &Setup, kind| s.slack(kind).iter().map(text).collect::<Vec<_>>();
    for kind in [SlackCall::Webhook, SlackCall::PostMessage, SlackCall::Update] {
        assert_eq!(texts(&s, kind), texts(&clean, kind), "{kind:?}");
    }
    let subjects = |pages: Vec<serde_json::Value>| {
        pages.iter().map(|p| p["Subject"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(subjects(s.topic.received().await), subjects(clean.topic.received().await));
}
