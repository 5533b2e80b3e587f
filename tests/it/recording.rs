//! Recording events into the real store (moto's DynamoDB on loopback, real SDK client).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use proptest::prelude::*;
use shared::events::EventFamily;
use shared::ids::ResourceId;
use shared::status::Health;
use shared::store::{Appended, StateFilter, StateWrite};
use shared::{Outcome, RecordError, Recorded, Recorder};
use syncwarden_tests::{fixture, recordable_samples, sample};

fn resource(id: &str) -> ResourceId {
    id.parse().unwrap()
}

/// What an event that must be recorded wrote.
fn recorded(result: Result<Outcome, RecordError>) -> Recorded {
    match result {
        Ok(Outcome::Recorded(recorded)) => recorded,
        other => panic!("expected the event to be recorded, got {other:?}"),
    }
}

#[tokio::test]
async fn every_sample_event_parses_and_is_recorded() {
    let f = fixture("every-sample").await;
    let recorder = Recorder::new(f.store.clone(), EventFamily::ALL);
    let samples = recordable_samples();
    assert!(samples.len() >= 20, "events/ should hold every event type and status family");
    for (name, bytes) in &samples {
        let outcome = recorder.record(bytes).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let recorded = outcome.recorded().unwrap_or_else(|| panic!("{name}: {outcome:?}"));
        assert_eq!(recorded.history, Appended::New, "{name}");
    }

    // The story the samples tell ends like this.
    let health = |id: &str| {
        let store = f.store.clone();
        let id = resource(id);
        async move { store.state(&id).await.unwrap().map(|s| s.health) }
    };
    assert_eq!(health("stack/payments-api").await, Some(Health::Failing));
    assert_eq!(health("stack/network-core").await, Some(Health::Healthy));
    assert_eq!(
        health("repository/550e8400-e29b-41d4-a716-446655440000@main").await,
        Some(Health::Healthy)
    );
    assert_eq!(health("pipeline/payments-release").await, Some(Health::Failing));
    assert_eq!(health("pipeline/network-release").await, Some(Health::Healthy));

    // Every sample is somewhere in a history: one entry per event, none lost.
    let mut total = 0;
    for state in f.store.states(StateFilter::All).await.unwrap() {
        total += f.store.history(&state.resource, 100).await.unwrap().len();
    }
    assert_eq!(total, samples.len());

    let payments = f.store.state(&resource("payments-api")).await.unwrap().unwrap();
    assert_eq!(payments.summary(), "git sync FAILED · stack UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(payments.commit().map(|c| c.short()), Some("9f2c1e0"));
    // Only the execution's STARTED event names its commit; the FAILED state keeps it.
    let release = f.store.state(&resource("pipeline/payments-release")).await.unwrap().unwrap();
    assert_eq!(release.commit().map(|c| c.short()), Some("4b8d2f6"));
}

#[tokio::test]
async fn the_same_event_delivered_twice_is_one_history_item_and_no_extra_state_write() {
    let f = fixture("redelivery").await;
    let recorder = Recorder::new(f.store.clone(), EventFamily::ALL);
    let event = sample("codeconnections/resource-sync-failed.json");

    let first = recorded(recorder.record(&event).await);
    assert_eq!((first.history, first.state), (Appended::New, StateWrite::Written));
    assert_eq!(f.ops.writes(), 2, "one history item + one state item");

    f.ops.reset();
    let again = recorded(recorder.record(&event).await);
    assert_eq!((again.history, again.state), (Appended::Duplicate, StateWrite::Unchanged));
    assert_eq!(f.ops.writes(), 1, "only the rejected conditional put; the state is not rewritten");

    let history = f.store.history(&resource("stack/payments-api"), 10).await.unwrap();
    assert_eq!(history.len(), 1);
}

#[tokio::test]
async fn a_late_event_is_history_but_never_moves_the_state_backwards() {
    let f = fixture("late").await;
    let recorder = Recorder::new(f.store.clone(), EventFamily::ALL);
    recorder.record(&sample("codeconnections/resource-sync-failed.json")).await.unwrap();
    f.ops.reset();

    let late =
        recorded(recorder.record(&sample("codeconnections/resource-sync-in-progress.json")).await);
    assert_eq!((late.history, late.state), (Appended::New, StateWrite::Unchanged));
    assert_eq!(late.health, Some(Health::Failing));
    assert_eq!(f.ops.writes(), 1, "the history entry only");

    let history = f.store.history(&resource("payments-api"), 10).await.unwrap();
    let statuses: Vec<String> = history.iter().map(|e| e.observation.change.label()).collect();
    assert_eq!(statuses, ["git sync FAILED", "git sync IN_PROGRESS"], "newest first");
}

#[tokio::test]
async fn history_is_newest_first_and_honours_the_limit() {
    let f = fixture("limit").await;
    let recorder = Recorder::new(f.store.clone(), EventFamily::ALL);
    for (_, bytes) in recordable_samples() {
        recorder.record(&bytes).await.unwrap();
    }
    let payments = resource("payments-api");
    let all = f.store.history(&payments, 100).await.unwrap();
    assert_eq!(all.len(), 6, "3 Git sync + 3 CloudFormation events for payments-api");
    assert!(all.windows(2).all(|w| w[0].observation.order_key() > w[1].observation.order_key()));
    let top = f.store.history(&payments, 3).await.unwrap();
    assert_eq!(top, all[..3]);
}

#[tokio::test]
async fn failing_resources_are_one_query_on_the_status_index() {
    let f = fixture("failing").await;
    let recorder = Recorder::new(f.store.clone(), EventFamily::ALL);
    for (_, bytes) in recordable_samples() {
        recorder.record(&bytes).await.unwrap();
    }
    f.ops.reset();
    let mut failing: Vec<String> = f
        .store
        .states(StateFilter::Failing)
        .await
        .unwrap()
        .iter()
        .map(|s| s.resource.to_string())
        .collect();
    failing.sort();
    assert_eq!(failing, ["pipeline/payments-release", "stack/payments-api"]);
    assert_eq!(f.ops.count("Query"), 1);
    assert_eq!(f.ops.count("Scan"), 0);
    assert_eq!(f.store.states(StateFilter::All).await.unwrap().len(), 5);
}

#[tokio::test]
async fn a_stack_event_for_a_stack_git_sync_never_named_is_not_recorded_and_costs_no_write() {
    let f = fixture("untracked").await;
    let recorder = Recorder::new(f.store.clone(), EventFamily::ALL);
    let event = sample("cloudformation/stack-update-complete.json");
    let outcome = recorded(recorder.record(&event).await);
    assert_eq!((outcome.history, outcome.state), (Appended::Skipped, StateWrite::Untracked));
    assert_eq!(f.ops.writes(), 0);
    assert!(f.store.states(StateFilter::All).await.unwrap().is_empty());
    assert!(f.store.history(&resource("network-core"), 10).await.unwrap().is_empty());

    // Once Git sync names the stack, its CloudFormation events are recorded.
    recorder
        .record(&sample("codeconnections/resource-sync-in-progress-network-core.json"))
        .await
        .unwrap();
    let outcome = recorded(recorder.record(&event).await);
    assert_eq!((outcome.history, outcome.state), (Appended::New, StateWrite::Written));
}

#[tokio::test]
async fn malformed_events_get_precise_errors_and_write_nothing() {
    let f = fixture("malformed").await;
    let recorder =
        Recorder::new(f.store.clone(), &[EventFamily::GitSync, EventFamily::CloudFormationStack]);
    let mut no_status: serde_json::Value =
        serde_json::from_slice(&sample("codeconnections/resource-sync-failed.json")).unwrap();
    no_status["detail"].as_object_mut().unwrap().remove("status");
    let cases: Vec<(Vec<u8>, String)> = vec![
        (b"{".to_vec(), "event is not valid JSON: EOF while parsing an object".into()),
        (
            sample("auto-resolve/manual-request.json"),
            "not an EventBridge event: this looks like an object without `source`".into(),
        ),
        (
            serde_json::to_vec(&no_status).unwrap(),
            format!("{}: detail.status: missing", no_status["id"].as_str().unwrap()),
        ),
    ];
    for (bytes, expected) in cases {
        let error = recorder.record(&bytes).await.unwrap_err();
        assert!(!error.is_retryable());
        assert!(error.to_string().contains(&expected), "`{error}` should contain `{expected}`");
        let diagnostic = lambda_runtime::Diagnostic::from(error);
        assert!(diagnostic.error_type.starts_with("NonRetryable."), "{}", diagnostic.error_type);
    }
    assert_eq!(f.ops.writes(), 0);
}

#[tokio::test]
async fn a_store_failure_is_a_retryable_error() {
    let f = fixture("store-down").await;
    let missing = shared::HistoryStore::new(f.client.clone(), "no-such-table", Default::default());
    let recorder = Recorder::new(missing, EventFamily::ALL);
    let error =
        recorder.record(&sample("codeconnections/resource-sync-failed.json")).await.unwrap_err();
    assert!(matches!(error, RecordError::Store(_)));
    assert!(error.is_retryable());
    assert!(error.to_string().contains("no-such-table"), "{error}");
    assert_eq!(lambda_runtime::Diagnostic::from(error).error_type, "Retryable.StoreFailure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_events_for_one_resource_all_land() {
    let f = fixture("concurrent").await;
    let recorder = Recorder::new(f.store.clone(), EventFamily::ALL);
    let mut tasks = tokio::task::JoinSet::new();
    for (name, bytes) in recordable_samples() {
        if name.contains("payments-release") || name.starts_with("codepipeline/") {
            let recorder = recorder.clone();
            tasks.spawn(async move { (name.clone(), recorder.record(&bytes).await) });
        }
    }
    while let Some(joined) = tasks.join_next().await {
        let (name, result) = joined.unwrap();
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let release = f.store.state(&resource("pipeline/payments-release")).await.unwrap().unwrap();
    assert_eq!(
        release.health,
        Health::Failing,
        "the FAILED execution is the newest, whatever order won"
    );
    let network = f.store.state(&resource("pipeline/network-release")).await.unwrap().unwrap();
    assert_eq!(network.health, Health::Healthy);
    assert_eq!(
        f.store.history(&resource("pipeline/payments-release"), 100).await.unwrap().len(),
        8
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// A shuffled replay of payments-api's story, with redeliveries, ends in the same state and
    /// the same history as the ordered one.
    #[test]
    fn shuffled_replay_gives_the_same_final_state(
        order in Just((1..6usize).collect::<Vec<_>>()).prop_shuffle(),
        repeats in proptest::collection::vec(0..6usize, 0..4),
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let story: Vec<Vec<u8>> = recordable_samples()
                .into_iter()
                .filter(|(_, bytes)| String::from_utf8_lossy(bytes).contains("stack/payments-api"))
                .map(|(_, bytes)| bytes)
                .collect();
            assert_eq!(story.len(), 6);

            let ordered = fixture("ordered").await;
            let recorder = Recorder::new(ordered.store.clone(), EventFamily::ALL);
            for event in &story {
                recorder.record(event).await.unwrap();
            }

            // The first event (the sync that makes the stack tracked) stays first.
            let shuffled = fixture("shuffled").await;
            let recorder = Recorder::new(shuffled.store.clone(), EventFamily::ALL);
            let sequence = std::iter::once(0).chain(order.iter().copied()).chain(repeats.iter().copied());
            for i in sequence {
                recorder.record(&story[i]).await.unwrap();
            }

            let payments = resource("payments-api");
            let a = ordered.store.state(&payments).await.unwrap().unwrap();
            let b = shuffled.store.state(&payments).await.unwrap().unwrap();
            assert_eq!((a.health, a.updated_at, &a.facets), (b.health, b.updated_at, &b.facets));
            let strip = |entries: Vec<shared::store::HistoryEntry>| {
                entries.into_iter().map(|e| e.observation).collect::<Vec<_>>()
            };
            assert_eq!(
                strip(ordered.store.history(&payments, 100).await.unwrap()),
                strip(shuffled.store.history(&payments, 100).await.unwrap())
            );
        });
    }
}

/// Every event in `tests/fixtures/published/` (AWS's documentation examples and the fixtures of
/// AWS's Lambda event libraries, as published; see its SOURCES.md) gets the outcome
/// `expected.json` names: recorded as the resource and status it carries, ignored, or rejected
/// with an error that says why. Nothing but a recorded event writes.
#[tokio::test]
async fn every_published_event_gets_its_documented_outcome() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/published");
    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json") && name != "expected.json")
        .collect();
    assert!(files.len() >= 30, "the corpus holds {} events", files.len());
    let mut listed: Vec<&String> = expected.keys().collect();
    let mut present: Vec<&String> = files.iter().collect();
    listed.sort();
    present.sort();
    assert_eq!(listed, present, "expected.json names every file of the corpus, and only those");

    let f = fixture("published").await;
    let recorder = Recorder::new(f.store.clone(), EventFamily::ALL);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for (name, want) in &expected {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let outcome = want["outcome"].as_str().unwrap();
        *counts.entry(outcome).or_default() += 1;
        f.ops.reset();
        match outcome {
            "recorded" => {
                let parsed = shared::events::parse_event(&bytes, EventFamily::ALL)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let observation = parsed.observation().unwrap_or_else(|| panic!("{name} ignored"));
                assert_eq!(observation.resource.to_string(), want["resource"], "{name}");
                assert_eq!(observation.change.status(), want["status"], "{name}");
                assert_eq!(
                    observation.commit.as_ref().map(|c| c.as_str()),
                    want["commit"].as_str(),
                    "{name}: the revision is kept as sent"
                );
                let written = recorded(recorder.record(&bytes).await);
                assert_eq!(written.resource, observation.resource, "{name}");
            }
            "ignored" => {
                let result = recorder.record(&bytes).await;
                assert!(matches!(result, Ok(Outcome::Ignored(_))), "{name}: {result:?}");
                assert_eq!(f.ops.writes(), 0, "{name}");
            }
            "rejected" => {
                let error = recorder.record(&bytes).await.unwrap_err();
                let mentions = want["mentions"].as_str().unwrap();
                assert!(
                    error.to_string().contains(mentions),
                    "{name}: `{error}` lacks `{mentions}`"
                );
                assert!(!error.is_retryable(), "{name}");
                assert_eq!(f.ops.writes(), 0, "{name}");
            }
            other => panic!("{name}: unknown outcome {other}"),
        }
    }
    assert!(counts.values().all(|n| *n > 0), "{counts:?}");
}

#[tokio::test]
async fn an_event_of_another_function_is_ignored_and_writes_nothing() {
    let f = fixture("other-function").await;
    let recorder =
        Recorder::new(f.store.clone(), &[EventFamily::GitSync, EventFamily::CloudFormationStack]);
    let outcome = recorder.record(&sample("codepipeline/pipeline-failed.json")).await.unwrap();
    let Outcome::Ignored(ignored) = outcome else { panic!("{outcome:?}") };
    assert!(
        ignored.reason.contains("aws.codepipeline execution state changes go to another function")
    );
    assert_eq!(f.ops.writes() + f.ops.count("GetItem"), 0);
    // The function's answer says so.
    let answer = serde_json::to_value(Outcome::Ignored(ignored)).unwrap();
    assert_eq!(answer["outcome"], "ignored");
}

/// Under 30 % store throttling (and some lost responses: written, but answered 500), every
/// event is recorded once and the states end as they do without faults. What the SDK's retries
/// do not absorb is a retryable error, which Lambda redelivers (here: the loop).
#[tokio::test]
async fn store_throttling_loses_nothing_and_records_nothing_twice() {
    let clean = fixture("faults-clean").await;
    let clean_recorder = Recorder::new(clean.store.clone(), EventFamily::ALL);
    let samples = recordable_samples();
    for (_, bytes) in &samples {
        clean_recorder.record(bytes).await.unwrap();
    }

    let faults = syncwarden_emulator::StoreFaults {
        throttle_rate: 0.3,
        lost_response_rate: 0.05,
        seed: Some(8),
        ..Default::default()
    };
    let (f, proxy) = syncwarden_tests::faulty_fixture("faults-throttled", faults).await;
    let recorder = Recorder::new(f.store.clone(), EventFamily::ALL);
    let mut redeliveries = 0;
    for (name, bytes) in &samples {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match recorder.record(bytes).await {
                Ok(_) => break,
                Err(error) => {
                    assert!(error.is_retryable(), "{name}: {error}");
                    assert!(attempts < 20, "{name}: still failing after {attempts} deliveries");
                    redeliveries += 1;
                }
            }
        }
    }
    let injected = proxy.injected();
    let throttled = injected.get("ProvisionedThroughputExceededException").copied().unwrap_or(0)
        + injected.get("ThrottlingException").copied().unwrap_or(0);
    assert!(throttled > 20, "the proxy throttled only {throttled} requests: {injected:?}");
    assert!(injected.get("lost response").copied().unwrap_or(0) > 0, "{injected:?}");
    println!("injected {injected:?}; {redeliveries} redeliveries");

    // Read back without faults: the same histories, entry for entry, and the same states.
    proxy.set_faults(Default::default()).unwrap();
    let summary = |store: shared::HistoryStore| async move {
        let mut out = Vec::new();
        for state in store.states(StateFilter::All).await.unwrap() {
            let history = store.history(&state.resource, 100).await.unwrap();
            let ids: Vec<String> =
                history.iter().map(|entry| entry.observation.event_id.to_string()).collect();
            out.push((state.resource.to_string(), state.health, state.summary(), ids));
        }
        out.sort();
        out
    };
    assert_eq!(summary(f.store.clone()).await, summary(clean.store.clone()).await);
}
