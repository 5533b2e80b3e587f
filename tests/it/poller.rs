//! The poller against the control-plane emulator and moto's DynamoDB, with the real SDK clients.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use shared::clients::BlockerEmitter;
use shared::events::EventFamily;
use shared::ids::ResourceId;
use shared::observation::ObservedBy;
use shared::poll::{PollConfig, PollReport, Poller};
use shared::status::Health;
use shared::store::StateFilter;
use syncwarden_emulator::{Emulator, Faults, Scenario};
use syncwarden_tests::{Fixture, control_plane, fixture, sample};

fn demo_scenario() -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../emulator/scenarios/demo.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn resource(id: &str) -> ResourceId {
    id.parse().unwrap()
}

fn poller(emulator: &Emulator, f: &Fixture, config: PollConfig) -> Poller {
    Poller::new(control_plane(&emulator.url()), f.store.clone(), None, config)
}

async fn poll(poller: &Poller) -> PollReport {
    poller.run(Instant::now() + Duration::from_secs(60)).await.unwrap()
}

fn config() -> PollConfig {
    PollConfig { stop_margin: Duration::ZERO, ..PollConfig::default() }
}

#[tokio::test]
async fn discovery_follows_every_page_and_polls_every_target() {
    let mut scenario = Scenario::fleet(120);
    scenario.page_size = 7;
    let emulator = Emulator::start(scenario).await.unwrap();
    let f = fixture("poll-discovery").await;
    let report = poll(&poller(&emulator, &f, config())).await;
    // 120 stacks + 3 repository branches (one link per 50 stacks) + 1 connection + pipelines.
    let pipelines = emulator.scenario().pipelines.len();
    assert_eq!(report.targets, 120 + 3 + 1 + pipelines, "{report:?}");
    assert!(report.complete && report.failures.is_empty(), "{report:?}");
    let states = f.store.states(StateFilter::All).await.unwrap();
    let stacks = states.iter().filter(|s| s.resource.to_string().starts_with("stack/")).count();
    assert_eq!(stacks, 120);
    let calls = emulator.calls();
    assert!(calls["ListSyncConfigurations"] >= 120 / 7, "pages followed: {calls:?}");
}

#[tokio::test]
async fn a_transition_events_missed_is_recorded_as_found_by_poll() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    let f = fixture("poll-missed").await;
    // The events said payments-api was in progress; the failure event never arrived.
    let recorder = shared::Recorder::new(f.store.clone(), EventFamily::ALL);
    recorder.record(&sample("codeconnections/resource-sync-in-progress.json")).await.unwrap();

    let report = poll(&poller(&emulator, &f, config())).await;
    assert!(
        report.recorded.contains(&"stack/payments-api: git sync FAILED".to_owned()),
        "{report:?}"
    );
    let state = f.store.state(&resource("payments-api")).await.unwrap().unwrap();
    assert_eq!(state.health, Health::Failing);
    let history = f.store.history(&resource("payments-api"), 10).await.unwrap();
    let found: Vec<(String, ObservedBy)> =
        history.iter().map(|e| (e.observation.change.label(), e.observation.observed_by)).collect();
    assert_eq!(
        found,
        [
            ("blocker e7a3c1d9-4b2f-4f6e-8a1d-5c9b0e2f7a31 ACTIVE".to_owned(), ObservedBy::Poll),
            ("git sync FAILED".to_owned(), ObservedBy::Poll),
            ("git sync IN_PROGRESS".to_owned(), ObservedBy::Event),
        ],
        "newest first"
    );
}

#[tokio::test]
async fn a_second_poll_with_nothing_changed_writes_nothing() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    let f = fixture("poll-steady").await;
    let poller = poller(&emulator, &f, config());
    let first = poll(&poller).await;
    assert!(first.state_writes > 0);

    f.ops.reset();
    let second = poll(&poller).await;
    assert!(second.recorded.is_empty() && second.state_writes == 0, "{second:?}");
    assert_eq!(f.ops.writes(), 0, "a steady-state poll makes zero DynamoDB writes");
    assert_eq!(f.ops.count("GetItem"), 0, "states come from one status-index query");
}

#[tokio::test]
async fn a_sync_in_progress_too_long_is_flagged_stuck() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    let f = fixture("poll-stuck").await;
    poll(&poller(&emulator, &f, config())).await;
    let state = f.store.state(&resource("search-index")).await.unwrap().unwrap();
    assert_eq!(state.health, Health::Failing);
    assert_eq!(state.summary(), "git sync IN_PROGRESS (stuck)");

    // Well under the threshold, the same sync is only in progress.
    let f = fixture("poll-not-stuck").await;
    let patient = PollConfig { stuck_after: chrono::Duration::days(3650), ..config() };
    poll(&poller(&emulator, &f, patient)).await;
    let state = f.store.state(&resource("search-index")).await.unwrap().unwrap();
    assert_eq!(state.health, Health::InProgress);
}

#[tokio::test]
async fn a_blocker_appears_is_announced_once_and_later_resolves() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    let f = fixture("poll-blocker").await;
    let bus = syncwarden_tests::blocker_bus("poll-blocker").await;
    let emitter = BlockerEmitter::new(syncwarden_tests::eventbridge(), bus.name.clone());
    let poller =
        Poller::new(control_plane(&emulator.url()), f.store.clone(), Some(emitter), config());
    emulator.update(|s| s.stacks.get_mut("network-core").unwrap().blockers.clear());
    let first = poll(&poller).await;
    // payments-api starts with an active blocker in the demo scenario: announced on first sight.
    assert_eq!(first.blockers_emitted, ["payments-api/e7a3c1d9-4b2f-4f6e-8a1d-5c9b0e2f7a31"]);
    assert_eq!(bus.received().await.len(), 1);

    // A blocker appears on network-core.
    let created = Utc.with_ymd_and_hms(2026, 11, 20, 11, 0, 0).unwrap();
    emulator.update(|s| {
        s.stacks.get_mut("network-core").unwrap().blockers.push(
            syncwarden_emulator::scenario::SyncBlocker {
                id: "blk-net-1".into(),
                blocker_type: "AUTOMATED".into(),
                status: "ACTIVE".into(),
                created_reason:
                    "Resource sync failed: stack network-core was updated outside Git sync".into(),
                created_at: created,
                contexts: vec![syncwarden_emulator::scenario::BlockerContext {
                    key: "StackStatus".into(),
                    value: "UPDATE_COMPLETE".into(),
                }],
                resolved_reason: None,
                resolved_at: None,
            },
        )
    });
    let found = poll(&poller).await;
    assert_eq!(found.recorded, ["stack/network-core: blocker blk-net-1 ACTIVE"]);
    assert_eq!(found.blockers_emitted, ["network-core/blk-net-1"]);
    let state = f.store.state(&resource("network-core")).await.unwrap().unwrap();
    assert_eq!(state.health, Health::Failing);
    assert_eq!(state.active_blockers().count(), 1);

    // The event reached the bus: a rule on it delivered it to a queue.
    let events = bus.received().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["detail-type"], "Sync Blocker Detected");
    assert_eq!(events[0]["source"], "syncwarden.poller");
    assert_eq!(events[0]["detail"]["stack"], "network-core");
    assert_eq!(events[0]["detail"]["blockerId"], "blk-net-1");
    assert_eq!(events[0]["detail"]["contexts"][0]["value"], "UPDATE_COMPLETE");

    // Seen again: nothing recorded, nothing announced.
    let again = poll(&poller).await;
    assert!(again.recorded.is_empty() && again.blockers_emitted.is_empty(), "{again:?}");

    // Resolved.
    emulator.update(|s| {
        let blocker = &mut s.stacks.get_mut("network-core").unwrap().blockers[0];
        blocker.status = "RESOLVED".into();
        blocker.resolved_reason = Some("Retried latest commit".into());
        blocker.resolved_at = Some(created + chrono::Duration::minutes(20));
    });
    let resolved = poll(&poller).await;
    assert_eq!(resolved.recorded, ["stack/network-core: blocker blk-net-1 RESOLVED"]);
    let state = f.store.state(&resource("network-core")).await.unwrap().unwrap();
    assert_eq!(state.health, Health::Healthy);
    let history = f.store.history(&resource("network-core"), 10).await.unwrap();
    assert_eq!(history[0].observation.change.note().as_deref(), Some("Retried latest commit"));
}

#[tokio::test]
async fn heavy_throttling_and_server_errors_still_cover_every_resource() {
    let emulator = Emulator::start(Scenario::fleet(60)).await.unwrap();
    emulator.set_faults(Faults {
        latency_ms: 0,
        throttle_rate: 0.3,
        error_rate: 0.05,
        seed: Some(7),
        ..Faults::default()
    });
    let f = fixture("poll-faults").await;
    let report = poll(&poller(&emulator, &f, config())).await;
    assert!(report.complete, "{report:?}");
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let tracked = f.store.states(StateFilter::All).await.unwrap();
    assert_eq!(tracked.len(), report.targets, "every target has a state");
    let calls: u64 = emulator.calls().values().sum();
    assert!(calls > 2 * 60, "faults were retried: {calls} calls");
}

#[tokio::test]
async fn a_deadline_mid_fleet_resumes_on_the_next_run_without_gaps_or_repeats() {
    let emulator = Emulator::start(Scenario::fleet(40)).await.unwrap();
    emulator.set_faults(Faults { latency_ms: 25, ..Faults::default() });
    let f = fixture("poll-deadline").await;
    let poller = poller(&emulator, &f, PollConfig { concurrency: 2, ..config() });

    let first = poller.run(Instant::now() + Duration::from_millis(400)).await.unwrap();
    assert!(!first.complete && first.polled > 0, "{first:?}");
    assert_eq!(first.resumed_after, None);

    let second = poll(&poller).await;
    assert!(second.complete, "{second:?}");
    assert_eq!(second.resumed_after, first.last, "resumes right after the last target polled");
    assert_eq!(first.polled + second.polled, first.targets, "no gaps, no repeats");
    let calls = emulator.calls();
    assert_eq!(calls["GetResourceSyncStatus"], 40, "each stack read once: {calls:?}");
    assert_eq!(calls["GetSyncBlockerSummary"], 40);

    // The sweep is done: the next poll starts from the beginning again.
    let third = poll(&poller).await;
    assert_eq!((third.resumed_after, third.polled), (None, third.targets));
}

#[tokio::test]
async fn a_target_that_fails_is_recorded_and_the_rest_are_still_polled() {
    let mut scenario = demo_scenario();
    let connection = scenario.connections.remove(0);
    let emulator = Emulator::start(scenario).await.unwrap();
    let f = fixture("poll-failure").await;
    let poller = poller(&emulator, &f, config());

    // GetConnection answers ResourceNotFoundException: that target fails, the others do not.
    let report = poll(&poller).await;
    assert!(report.complete, "{report:?}");
    let failed: Vec<&str> = report.failures.iter().map(|f| f.target.as_str()).collect();
    assert_eq!(failed, [format!("connection/{}", connection.arn.rsplit('/').next().unwrap())]);
    assert!(
        report.failures[0].error.contains("ResourceNotFoundException"),
        "{:?}",
        report.failures
    );
    assert_eq!(f.store.states(StateFilter::All).await.unwrap().len(), report.targets - 1);
    let kept = f.store.poller().state().await.unwrap();
    assert_eq!(kept.failures.keys().collect::<Vec<_>>(), failed);

    // Once the connection answers again, its failure is cleared.
    emulator.update(|s| s.connections.push(connection));
    let report = poll(&poller).await;
    assert!(report.failures.is_empty(), "{report:?}");
    assert!(f.store.poller().state().await.unwrap().failures.is_empty());
}

/// An AccessDenied answer is a permanent, named failure of that target: recorded on the
/// resource (failing, so the incident opens once), not retried within the poll, not read again
/// until the recheck period has passed, and cleared by the first read that works.
#[tokio::test]
async fn access_denied_is_recorded_once_and_not_retried_every_poll() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    let f = fixture("poll-denied").await;
    let denied = || {
        let mut faults = Faults::default();
        faults.errors.insert(
            "GetSyncBlockerSummary".into(),
            syncwarden_emulator::ForcedError {
                error: "AccessDeniedException".into(),
                rate: 1.0,
                message: None,
            },
        );
        faults
    };
    emulator.set_faults(denied());
    let stacks = emulator.scenario().sync_configurations.len();

    let first = poll(&poller(&emulator, &f, config())).await;
    let denials: Vec<_> = first.failures.iter().filter(|f| f.denied_action.is_some()).collect();
    assert_eq!(denials.len(), stacks, "{first:?}");
    assert!(
        denials
            .iter()
            .all(|d| d.denied_action.as_deref() == Some("codeconnections:GetSyncBlockerSummary")
                && d.error.contains("access denied")),
        "{denials:?}"
    );
    // One call per stack: the SDK does not retry a 403, and the poll's second try skips it.
    assert_eq!(emulator.calls()["GetSyncBlockerSummary"], stacks as u64);
    let payments = f.store.state(&resource("payments-api")).await.unwrap().unwrap();
    assert_eq!(payments.health, Health::Failing);
    assert!(
        payments.summary().contains("access denied: codeconnections:GetSyncBlockerSummary"),
        "{}",
        payments.summary()
    );

    // The next poll does not ask again, and writes nothing for those stacks.
    emulator.reset_calls();
    let second = poll(&poller(&emulator, &f, config())).await;
    assert_eq!(second.skipped_denied.len(), stacks, "{second:?}");
    assert_eq!(emulator.calls().get("GetSyncBlockerSummary"), None);
    assert_eq!(emulator.calls().get("GetResourceSyncStatus"), None);
    let history = f.store.history(&resource("payments-api"), 50).await.unwrap();
    let denial_entries = history
        .iter()
        .filter(|e| e.observation.change.label().starts_with("access denied"))
        .count();
    assert_eq!(denial_entries, 1, "recorded once, so notified once");

    // Once the recheck period has passed, the role works again: access is restored.
    emulator.set_faults(Faults::default());
    let recheck = PollConfig { access_recheck: chrono::Duration::zero(), ..config() };
    let third = poll(&poller(&emulator, &f, recheck)).await;
    assert!(third.skipped_denied.is_empty() && third.failures.is_empty(), "{third:?}");
    assert!(
        third.recorded.iter().any(|r| r.starts_with("stack/payments-api: access restored")),
        "{third:?}"
    );
    let payments = f.store.state(&resource("payments-api")).await.unwrap().unwrap();
    assert!(!payments.summary().contains("access"), "{}", payments.summary());
    assert!(f.store.poller().state().await.unwrap().failures.is_empty());
}

/// The newest execution of `pipeline` the store's history holds, as `(label, note, commit)`.
async fn pipeline_execution(f: &Fixture, pipeline: &str) -> (String, Option<String>, String) {
    let history = f.store.history(&resource(&format!("pipeline/{pipeline}")), 10).await.unwrap();
    let o = &history.first().expect("a pipeline execution was recorded").observation;
    let commit = o.commit.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default();
    (o.change.label(), o.change.note(), commit)
}

#[tokio::test]
async fn a_failed_run_is_attributed_to_its_own_actions_after_a_newer_run_started() {
    use syncwarden_emulator::scenario::ActionExecution;
    let at = |hms: &str| chrono::DateTime::parse_from_rfc3339(hms).unwrap().to_utc();
    let mut scenario = demo_scenario();
    let pipeline = scenario.pipelines.iter_mut().find(|p| p.name == "payments-release").unwrap();
    // The failed run, as ListActionExecutions keeps it: Build failed once and passed on a
    // retry of its stage (not the cause); Deploy and Smoke failed.
    let action = |stage: &str, name: &str, status: &str, start: &str| ActionExecution {
        stage_name: stage.into(),
        action_name: name.into(),
        status: status.into(),
        start_time: Some(at(start)),
        ..ActionExecution::default()
    };
    pipeline.executions[0].action_executions = vec![
        ActionExecution {
            error_code: Some("JobFailed".into()),
            error_message: Some("Stack payments-api-app is in UPDATE_ROLLBACK_COMPLETE".into()),
            external_execution_summary: Some("Deployment failed".into()),
            ..action("Deploy", "Deploy", "Failed", "2026-11-20T10:04:00Z")
        },
        ActionExecution {
            external_execution_summary: Some("3 of 40 checks failed".into()),
            ..action("Deploy", "Smoke", "Failed", "2026-11-20T10:04:00Z")
        },
        action("Build", "Build", "Succeeded", "2026-11-20T10:02:00Z"),
        ActionExecution {
            error_code: Some("BuildFailed".into()),
            error_message: Some("flaky".into()),
            ..action("Build", "Build", "Failed", "2026-11-20T10:01:00Z")
        },
        action("Source", "Source", "Succeeded", "2026-11-20T10:00:00Z"),
    ];
    // A newer run started between the poller's reads: it leads every stage already (what
    // GetPipelineState would show), while the list the poller read still had the failed run
    // first. Nothing of the failed run is left on the stages.
    for stage in &mut pipeline.stages {
        stage.execution_id = Some("7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f".into());
        stage.status = Some("InProgress".into());
        for action in &mut stage.actions {
            action.status = Some("InProgress".into());
            action.error_code = None;
            action.error_message = None;
        }
    }
    let emulator = Emulator::start(scenario).await.unwrap();
    let f = fixture("poll-pipeline-cause").await;
    poll(&poller(&emulator, &f, config())).await;

    let (label, note, commit) = pipeline_execution(&f, "payments-release").await;
    assert_eq!(label, "execution FAILED");
    assert_eq!(
        note.as_deref(),
        Some(
            "stage Deploy / action Deploy: JobFailed — Stack payments-api-app is in \
             UPDATE_ROLLBACK_COMPLETE; stage Deploy / action Smoke: 3 of 40 checks failed"
        )
    );
    assert_eq!(commit, "4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24");
    let state = f.store.state(&resource("pipeline/payments-release")).await.unwrap().unwrap();
    assert_eq!(state.health, Health::Failing);

    // search-release failed too (its stages still show that run, so its actions are derived).
    let (_, note, _) = pipeline_execution(&f, "search-release").await;
    assert!(note.unwrap().starts_with("stage Deploy / action Deploy: JobFailed — "));

    // Calls: one ListPipelineExecutions per pipeline; ListActionExecutions only for the two
    // failed runs; every summary named its revision and trigger, so no GetPipelineExecution;
    // GetPipelineState is not used at all.
    let calls = emulator.calls();
    assert_eq!(calls["ListPipelineExecutions"], 3, "{calls:?}");
    assert_eq!(calls["ListActionExecutions"], 2, "{calls:?}");
    assert_eq!(calls.get("GetPipelineExecution"), None, "{calls:?}");
    assert_eq!(calls.get("GetPipelineState"), None, "{calls:?}");
}

#[tokio::test]
async fn a_run_whose_summary_lacks_the_revision_gets_it_from_get_pipeline_execution() {
    use syncwarden_emulator::scenario::ArtifactRevision;
    let mut scenario = demo_scenario();
    let pipeline = scenario.pipelines.iter_mut().find(|p| p.name == "network-release").unwrap();
    // An S3 source: the summary names no revision; the execution's artifact does, opaquely.
    let run = &mut pipeline.executions[0];
    run.source_revisions.clear();
    run.artifact_revisions = vec![ArtifactRevision {
        name: "SourceArtifact".into(),
        revision_id: Some("3Lk9.Fz_q2VmXrTg0bJh8Yw".into()),
        revision_summary: Some("Tighten NACLs\n\nfrom the S3 upload".into()),
        ..ArtifactRevision::default()
    }];
    let emulator = Emulator::start(scenario).await.unwrap();
    let f = fixture("poll-pipeline-revision").await;
    let poller = poller(&emulator, &f, config());
    poll(&poller).await;

    let (label, note, commit) = pipeline_execution(&f, "network-release").await;
    assert_eq!(label, "execution SUCCEEDED");
    assert_eq!(commit, "3Lk9.Fz_q2VmXrTg0bJh8Yw", "the artifact revision, kept as is");
    assert_eq!(note.as_deref(), Some("Tighten NACLs"), "its summary's first line");
    let calls = emulator.calls();
    assert_eq!(calls["GetPipelineExecution"], 1, "only the revision-less run: {calls:?}");
    assert_eq!(calls["ListActionExecutions"], 2, "only the failed runs: {calls:?}");

    // The next poll costs the same calls and writes nothing.
    emulator.reset_calls();
    f.ops.reset();
    let again = poll(&poller).await;
    assert!(again.recorded.is_empty(), "{again:?}");
    assert_eq!(f.ops.writes(), 0);
    assert_eq!(emulator.calls(), calls);
}

#[tokio::test]
async fn a_run_gone_between_the_reads_is_recorded_without_its_cause() {
    // The list names a run that GetPipelineExecution and ListActionExecutions no longer know
    // (PipelineExecutionNotFoundException): the run is still recorded, from its summary.
    let mut scenario = demo_scenario();
    let pipeline = scenario.pipelines.iter_mut().find(|p| p.name == "payments-release").unwrap();
    pipeline.executions[0].source_revisions.clear();
    let emulator = Emulator::start(scenario).await.unwrap();
    let mut faults = Faults::default();
    for operation in ["GetPipelineExecution", "ListActionExecutions"] {
        faults.errors.insert(
            operation.into(),
            syncwarden_emulator::ForcedError {
                error: "PipelineExecutionNotFoundException".into(),
                rate: 1.0,
                message: None,
            },
        );
    }
    emulator.set_faults(faults);
    let f = fixture("poll-pipeline-gone").await;
    let report = poll(&poller(&emulator, &f, config())).await;
    assert!(report.failures.is_empty(), "{report:?}");
    let (label, note, commit) = pipeline_execution(&f, "payments-release").await;
    assert_eq!((label.as_str(), commit.as_str()), ("execution FAILED", ""));
    assert_eq!(note.as_deref(), Some("WebhookV2"), "no cause, no commit message: the trigger");
}

/// AWS's per-operation quotas: the stack reads of a 60-stack fleet are limited to 30 a second
/// (bursts of 3), well below what the poll asks. The SDK backs off and retries; what still
/// fails is a failure of that target, read again by the next poll; within a few polls every
/// resource is covered, and nothing else fails.
#[tokio::test]
async fn a_rate_limited_account_is_still_polled_completely() {
    let emulator = Emulator::start(Scenario::fleet(60)).await.unwrap();
    let mut faults = Faults { seed: Some(11), ..Faults::default() };
    for operation in ["GetResourceSyncStatus", "GetSyncBlockerSummary"] {
        faults.rate_limits.insert(
            operation.into(),
            syncwarden_emulator::RateLimit { per_second: 30.0, burst: 3 },
        );
    }
    emulator.set_faults(faults);
    let f = fixture("poll-rate-limit").await;
    // The SDK's standard backoff, scaled down (the template's AWS_MAX_ATTEMPTS=6): exponential
    // with jitter, so retries spread out the way AWS's quota refills.
    let retries = aws_config::retry::RetryConfig::standard()
        .with_max_attempts(6)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_secs(1));
    let sdk =
        syncwarden_tests::sdk_config(&emulator.url()).into_builder().retry_config(retries).build();
    let control = shared::clients::ControlPlane::new(
        aws_sdk_codeconnections::Client::new(&sdk),
        aws_sdk_codepipeline::Client::new(&sdk),
    );
    let poller = Poller::new(control, f.store.clone(), None, config());
    let mut polls = 0;
    loop {
        polls += 1;
        let report = poll(&poller).await;
        assert!(report.complete, "{report:?}");
        assert!(
            report.failures.iter().all(|f| f.error.contains("ThrottlingException")),
            "only throttling fails: {:?}",
            report.failures
        );
        if report.failures.is_empty() {
            assert_eq!(f.store.states(StateFilter::All).await.unwrap().len(), report.targets);
            break;
        }
        assert!(polls < 8, "still throttled after {polls} polls: {report:?}");
    }
    let calls = emulator.calls();
    assert!(calls["GetResourceSyncStatus"] > 60, "throttled calls were retried: {calls:?}");
}

/// The other modelled errors a poll meets are transient failures of what they hit: a
/// connection that is `ResourceUnavailable` fails that target only, and the next poll reads
/// it; a `ConcurrentModification` of the repository links fails discovery as retryable.
#[tokio::test]
async fn resource_unavailable_and_concurrent_modification_are_transient() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    let f = fixture("poll-transient").await;
    let forced = |operation: &str, error: &str| {
        let mut faults = Faults::default();
        faults.errors.insert(
            operation.into(),
            syncwarden_emulator::ForcedError { error: error.into(), rate: 1.0, message: None },
        );
        faults
    };
    emulator.set_faults(forced("GetConnection", "ResourceUnavailableException"));
    let first = poll(&poller(&emulator, &f, config())).await;
    assert_eq!(first.failures.len(), 1, "{first:?}");
    let failure = &first.failures[0];
    assert!(failure.target.starts_with("connection/"), "{failure:?}");
    assert!(failure.error.contains("ResourceUnavailableException"), "{failure:?}");
    assert_eq!(failure.denied_action, None, "not a permission problem");
    assert!(f.store.states(StateFilter::All).await.unwrap().len() >= first.targets - 1);

    emulator.set_faults(Faults::default());
    let second = poll(&poller(&emulator, &f, config())).await;
    assert!(second.failures.is_empty(), "{second:?}");
    assert!(f.store.poller().state().await.unwrap().failures.is_empty(), "the failure is cleared");

    emulator.set_faults(forced("ListRepositoryLinks", "ConcurrentModificationException"));
    let error = poller(&emulator, &f, config())
        .run(Instant::now() + Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("ConcurrentModificationException"), "{error}");
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "Retryable.DiscoveryFailure");
}

/// Under 30 % store throttling (and some lost responses), polls until one completes cleanly
/// (a poll that fails is retried by the next schedule): every resource ends as a fault-free
/// poll leaves it, with no history entry twice.
#[tokio::test]
async fn store_throttling_loses_nothing_and_records_nothing_twice() {
    let emulator = Emulator::start(Scenario::fleet(30)).await.unwrap();
    let clean = fixture("poll-store-clean").await;
    poll(&poller(&emulator, &clean, config())).await;

    let faults = syncwarden_emulator::StoreFaults {
        throttle_rate: 0.3,
        lost_response_rate: 0.05,
        seed: Some(5),
        ..Default::default()
    };
    let (f, proxy) = syncwarden_tests::faulty_fixture("poll-store-faults", faults).await;
    let faulty = poller(&emulator, &f, config());
    for run in 1.. {
        assert!(run < 20, "no clean poll after {run} runs");
        match faulty.run(Instant::now() + Duration::from_secs(60)).await {
            Ok(report) if report.complete && report.failures.is_empty() => break,
            Ok(_) => {}
            Err(error) => assert_eq!(
                lambda_runtime::Diagnostic::from(error).error_type,
                "Retryable.StoreFailure"
            ),
        }
    }
    let injected = proxy.injected();
    assert!(injected.get("ThrottlingException").copied().unwrap_or(0) > 10, "{injected:?}");

    proxy.set_faults(Default::default()).unwrap();
    let summary = |store: shared::HistoryStore| async move {
        let mut out = Vec::new();
        for state in store.states(StateFilter::All).await.unwrap() {
            let history = store.history(&state.resource, 100).await.unwrap();
            let labels: Vec<String> =
                history.iter().map(|e| e.observation.change.label()).collect();
            out.push((state.resource.to_string(), state.health, labels));
        }
        out.sort();
        out
    };
    assert_eq!(summary(f.store.clone()).await, summary(clean.store.clone()).await);
}
