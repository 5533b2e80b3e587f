//! The auto-resolve action against the emulator (CodeConnections, CloudFormation DescribeStacks)
//! and moto's DynamoDB, with the real SDK clients.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use chrono::Duration;
use shared::clients::{Resolution, Stacks};
use shared::observation::{Change, Facet};
use shared::resolve::{
    ActionOutcome, Decision, Mode, PolicyConfig, PolicySettings, ResolveRequest, Resolver,
};
use shared::status::BlockerStatus;
use syncwarden_emulator::{Emulator, Scenario};
use syncwarden_tests::{Fixture, cloudformation, control_plane, fixture};

const BLOCKER: &str = "e7a3c1d9-4b2f-4f6e-8a1d-5c9b0e2f7a31";

fn demo_scenario() -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../emulator/scenarios/demo.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn policy(mode: Mode, cooldown_minutes: i64) -> PolicyConfig {
    PolicyConfig::new(PolicySettings {
        mode,
        stacks: vec!["payments-*".into()],
        reasons: vec!["*rolled back*".into()],
        cooldown: Duration::minutes(cooldown_minutes),
        ..PolicySettings::default()
    })
    .unwrap()
}

fn resolver(emulator: &Emulator, f: &Fixture, config: PolicyConfig) -> Resolver {
    Resolver::new(
        control_plane(&emulator.url()),
        Stacks::new(cloudformation(&emulator.url())),
        f.store.clone(),
        config,
    )
}

fn request(json: &str) -> ResolveRequest {
    ResolveRequest::parse(json.as_bytes()).unwrap()
}

fn event() -> ResolveRequest {
    let detected = serde_json::json!({
        "version": "0", "id": "0d9a3f4e-1b2c-4d5e-8f60-718293a4b5c6",
        "detail-type": "Sync Blocker Detected", "source": "syncwarden.poller",
        "account": "111122223333", "time": "2026-11-20T09:05:00Z", "region": "eu-west-1", "resources": [],
        "detail": {"stack": "payments-api", "blockerId": BLOCKER, "createdAt": "2026-11-20T09:04:40Z",
                   "reason": "rolled back"}
    });
    ResolveRequest::parse(detected.to_string().as_bytes()).unwrap()
}

fn blocker_status(emulator: &Emulator) -> String {
    emulator.scenario().stacks["payments-api"].blockers[0].status.clone()
}

async fn decisions(f: &Fixture) -> Vec<String> {
    let history = f.store.history(&"stack/payments-api".parse().unwrap(), 50).await.unwrap();
    history
        .iter()
        .filter(|e| matches!(e.observation.change, Change::BlockerDecision { .. }))
        .map(|e| e.observation.change.label())
        .collect()
}

#[tokio::test]
async fn a_blocker_on_a_healthy_stack_with_a_newer_commit_is_resolved_in_enforce_mode() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    let f = fixture("resolve-enforce").await;
    let report = resolver(&emulator, &f, policy(Mode::Enforce, 30)).handle(&event()).await.unwrap();
    assert!(matches!(report.decision, Some(Decision::Resolve { .. })), "{report:?}");
    assert_eq!(report.outcome, ActionOutcome::Resolved);
    assert_eq!(blocker_status(&emulator), "RESOLVED");
    let stack = &emulator.scenario().stacks["payments-api"];
    let reason = stack.blockers[0].resolved_reason.clone().unwrap();
    assert!(
        reason.starts_with("syncwarden auto-resolve") && reason.chars().count() <= 250,
        "{reason}"
    );
    assert_eq!(stack.latest_sync.as_ref().unwrap().status, "INITIATED", "the sync resumes");
    assert_eq!(
        decisions(&f).await,
        [format!("auto-resolve resolve blocker {BLOCKER} (enforce: resolved)")]
    );
}

#[tokio::test]
async fn after_a_resolve_the_state_shows_the_blocker_resolved_at_once() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    let f = fixture("resolve-records-blocker").await;
    let report = resolver(&emulator, &f, policy(Mode::Enforce, 30)).handle(&event()).await.unwrap();
    assert_eq!(report.outcome, ActionOutcome::Resolved);
    let in_emulator = emulator.scenario().stacks["payments-api"].blockers[0].clone();

    // The blocker facet holds what UpdateSyncBlocker answered, before any poll.
    let stack = "stack/payments-api".parse().unwrap();
    let state = f.store.state(&stack).await.unwrap().unwrap();
    let facet = &state.facets[&Facet::Blocker(BLOCKER.parse().unwrap())];
    let Change::Blocker { status, resolved_reason, resolved_at, .. } = &facet.change else {
        panic!("{facet:?}")
    };
    assert_eq!(*status, BlockerStatus::Resolved);
    assert_eq!(resolved_reason, &in_emulator.resolved_reason);
    assert!(resolved_reason.as_deref().unwrap().starts_with("syncwarden auto-resolve"));
    assert_eq!(
        resolved_at.map(|t| t.timestamp_millis()),
        in_emulator.resolved_at.map(|t| t.timestamp_millis())
    );
    assert_eq!(facet.at, resolved_at.unwrap(), "dated when it was resolved");

    // The history tells it after the decision, newest first.
    let history = f.store.history(&stack, 10).await.unwrap();
    let labels: Vec<String> = history.iter().map(|e| e.observation.change.label()).collect();
    assert_eq!(
        labels,
        [
            format!("blocker {BLOCKER} RESOLVED"),
            format!("auto-resolve resolve blocker {BLOCKER} (enforce: resolved)"),
        ]
    );
    // Recorded under the poll's own id for it, so the next poll finds it already there.
    assert_eq!(
        history[0].observation.event_id.as_str(),
        format!("poll-blocker-{BLOCKER}-RESOLVED")
    );
}

#[tokio::test]
async fn in_dry_run_the_decision_is_only_recorded() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    let f = fixture("resolve-dry-run").await;
    let report = resolver(&emulator, &f, policy(Mode::DryRun, 30)).handle(&event()).await.unwrap();
    assert_eq!(report.outcome, ActionOutcome::DryRun);
    assert_eq!(blocker_status(&emulator), "ACTIVE");
    assert_eq!(emulator.calls().get("UpdateSyncBlocker"), None);
    assert_eq!(
        decisions(&f).await,
        [format!("auto-resolve resolve blocker {BLOCKER} (dry-run: dry-run)")]
    );

    // A manual request can ask for a dry run even in enforce mode.
    let manual =
        request(r#"{"stack": "payments-api", "reason": "alice checking", "dryRun": true}"#);
    let report = resolver(&emulator, &f, policy(Mode::Enforce, 30)).handle(&manual).await.unwrap();
    assert_eq!(report.outcome, ActionOutcome::DryRun);
    assert_eq!(blocker_status(&emulator), "ACTIVE");
}

#[tokio::test]
async fn an_unstable_stack_is_skipped() {
    for status in ["UPDATE_ROLLBACK_FAILED", "UPDATE_IN_PROGRESS"] {
        let emulator = Emulator::start(demo_scenario()).await.unwrap();
        emulator.update(|s| {
            s.stacks.get_mut("payments-api").unwrap().stack_status = Some(status.into())
        });
        let f = fixture("resolve-unstable").await;
        let report =
            resolver(&emulator, &f, policy(Mode::Enforce, 30)).handle(&event()).await.unwrap();
        let Some(Decision::Skip { rule, why }) = &report.decision else { panic!("{report:?}") };
        assert_eq!(rule, "stack-state");
        assert!(why.contains(status), "{why}");
        assert_eq!(blocker_status(&emulator), "ACTIVE");
        assert_eq!(emulator.calls().get("UpdateSyncBlocker"), None);
    }
}

#[tokio::test]
async fn repeated_failures_hit_the_daily_cap_and_escalate() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    emulator.update(|s| s.retry_latest_commit_fails.push("payments-api".into()));
    let f = fixture("resolve-cap").await;
    let resolver = resolver(&emulator, &f, policy(Mode::Enforce, 0));
    for _ in 0..3 {
        let report = resolver.handle(&event()).await.unwrap();
        assert_eq!(
            report.outcome,
            ActionOutcome::Failed("RetryLatestCommitFailedException".into())
        );
    }
    let report = resolver.handle(&event()).await.unwrap();
    assert!(
        matches!(&report.decision, Some(Decision::Escalate { rule, .. }) if rule == "daily-cap"),
        "{report:?}"
    );
    // The cap counts attempts (the audited decisions), not HTTP requests: the model makes
    // RetryLatestCommitFailed a 503, which the SDK retries inside each attempt.
    let failed = format!(
        "auto-resolve resolve blocker {BLOCKER} (enforce: failed: RetryLatestCommitFailedException)"
    );
    let recorded = decisions(&f).await;
    assert_eq!(recorded.iter().filter(|d| **d == failed).count(), 3, "{recorded:?}");
    assert_eq!(recorded.len(), 4, "three attempts and the escalation: {recorded:?}");
    let max_attempts = u64::from(syncwarden_tests::fast_retries().max_attempts());
    assert_eq!(emulator.calls()["UpdateSyncBlocker"], 3 * max_attempts, "no fourth attempt");
    let state = f.store.state(&"stack/payments-api".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(state.health, shared::status::Health::Failing, "an escalation needs a person");
}

#[tokio::test]
async fn an_already_resolved_blocker_is_a_success() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    let control = control_plane(&emulator.url());
    let stack = "payments-api".parse().unwrap();
    let first = control.resolve_blocker(&stack, BLOCKER, "by hand").await.unwrap();
    assert!(matches!(first, Resolution::Resolved(Some(_))), "{first:?}");
    assert_eq!(
        control.resolve_blocker(&stack, BLOCKER, "again").await.unwrap(),
        Resolution::AlreadyResolved,
        "gone = already resolved"
    );
}

#[tokio::test]
async fn concurrent_invocations_resolve_once() {
    let emulator = Emulator::start(demo_scenario()).await.unwrap();
    let f = fixture("resolve-concurrent").await;
    let resolver = resolver(&emulator, &f, policy(Mode::Enforce, 30));
    let request = event();
    let (a, b) = tokio::join!(resolver.handle(&request), resolver.handle(&request));
    let outcomes = [a.unwrap().outcome, b.unwrap().outcome];
    assert_eq!(
        outcomes.iter().filter(|o| **o == ActionOutcome::Resolved).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            ActionOutcome::Resolved | ActionOutcome::Busy | ActionOutcome::AlreadyResolved
        )),
        "{outcomes:?}"
    );
    assert_eq!(blocker_status(&emulator), "RESOLVED");
}

#[tokio::test]
async fn malformed_requests_get_precise_errors() {
    let cases = [
        ("{", "not JSON"),
        (r#"{"blockerId": "x", "reason": "r"}"#, "missing field `stack`"),
        (r#"{"stack": "payments-api", "reason": " "}"#, "reason: say who asks and why"),
        (
            r#"{"stack": "payments_api", "reason": "r"}"#,
            "stack: stack name `payments_api` contains `_`",
        ),
        (r#"{"stack": "x", "reason": "r", "force": true}"#, "unknown field `force`"),
        (
            r#"{"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}"#,
            "detail-type `Scheduled Event` from source `aws.events`",
        ),
    ];
    for (json, expected) in cases {
        let error = ResolveRequest::parse(json.as_bytes()).unwrap_err().to_string();
        assert!(error.contains(expected), "`{error}` should contain `{expected}`");
    }
}

#[test]
fn the_sample_inputs_in_events_parse() {
    let event =
        ResolveRequest::parse(&syncwarden_tests::sample("auto-resolve/sync-blocker-detected.json"))
            .unwrap();
    assert_eq!(
        (event.stack.as_str(), event.blocker_id.as_deref(), event.dry_run),
        ("payments-api", Some(BLOCKER), false)
    );
    let manual =
        ResolveRequest::parse(&syncwarden_tests::sample("auto-resolve/manual-request.json"))
            .unwrap();
    assert!(manual.dry_run && manual.requested_by.starts_with("mary.major"));
}
