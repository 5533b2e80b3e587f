use chrono::TimeZone;

use super::*;
use crate::reconcile::{Reconciled, reconcile};
use crate::status::Health;

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap()
}

fn sync(status: SyncStatus, started: DateTime<Utc>) -> StackSync {
    StackSync {
        stack: StackName::new("search-index").unwrap(),
        status,
        started_at: started,
        last_event_at: None,
        target_sha: Some("9f2c1e0b7d4a4c3e8b1f6a5d2c9e0f1a2b3c4d5e".into()),
        branch: Some("main".into()),
        repository: Some("acme/infra".into()),
        provider: Some("GitHub".into()),
        desired_sha: None,
    }
}

fn fold(observations: &[Observation]) -> Option<ResourceState> {
    observations.iter().fold(None, |state, o| match reconcile(state.as_ref(), o) {
        Reconciled::Changed(next) => Some(next),
        _ => state,
    })
}

#[test]
fn a_sync_running_past_the_threshold_is_stuck_and_every_later_poll_sees_the_same() {
    let running = sync(SyncStatus::InProgress, t(6, 0));
    let fresh = stack_sync(&running, t(6, 30), Duration::minutes(60)).unwrap();
    assert!(matches!(fresh.change, Change::GitSync { stuck_since: None, .. }));
    assert_eq!(fresh.change.health(), Health::InProgress);

    let stuck = stack_sync(&running, t(7, 5), Duration::minutes(60)).unwrap();
    assert_eq!(stuck.change.label(), "git sync IN_PROGRESS (stuck)");
    assert_eq!(stuck.change.health(), Health::Failing);
    assert_eq!(stuck.at, t(7, 0), "dated when it became stuck, not when seen");
    assert_eq!(stack_sync(&running, t(9, 0), Duration::minutes(60)).unwrap(), stuck);

    // Recorded once; the next poll confirms it and writes nothing.
    let state = fold(&[fresh, stuck.clone()]).unwrap();
    assert_eq!(state.health, Health::Failing);
    let later = stack_sync(&running, t(10, 0), Duration::minutes(60)).unwrap();
    assert_eq!(reconcile(Some(&state), &later), Reconciled::Unchanged);
}

#[test]
fn a_finished_sync_is_never_stuck() {
    let done =
        stack_sync(&sync(SyncStatus::Failed, t(6, 0)), t(12, 0), Duration::minutes(60)).unwrap();
    assert!(matches!(done.change, Change::GitSync { stuck_since: None, .. }));
}

#[test]
fn a_poll_that_confirms_an_event_records_nothing_and_one_that_differs_does() {
    let mut from_event =
        stack_sync(&sync(SyncStatus::Failed, t(9, 0)), t(9, 5), Duration::minutes(60)).unwrap();
    from_event.observed_by = ObservedBy::Event;
    from_event.event_id = EventId::new("e500bddf").unwrap();
    let state = fold(&[from_event]).unwrap();

    let mut same = sync(SyncStatus::Failed, t(9, 0));
    same.last_event_at = Some(t(9, 3));
    let confirm = stack_sync(&same, t(10, 0), Duration::minutes(60)).unwrap();
    assert_eq!(reconcile(Some(&state), &confirm), Reconciled::Unchanged, "same status and commit");

    let mut recovered = sync(SyncStatus::Succeeded, t(9, 30));
    recovered.target_sha = Some("4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24".into());
    let missed = stack_sync(&recovered, t(10, 0), Duration::minutes(60)).unwrap();
    let Reconciled::Changed(next) = reconcile(Some(&state), &missed) else {
        panic!("a transition no event reported must be recorded")
    };
    assert_eq!(next.health, Health::Healthy);
    assert_eq!(next.facets[&crate::observation::Facet::GitSync].observed_by, ObservedBy::Poll);

    // An API answer older than what the events said does not move the state back.
    let stale = stack_sync(&sync(SyncStatus::InProgress, t(8, 0)), t(8, 10), Duration::minutes(60))
        .unwrap();
    assert_eq!(reconcile(Some(&state), &stale), Reconciled::Unchanged);
}

fn blocker(status: BlockerStatus) -> Blocker {
    Blocker {
        id: "blk-1".into(),
        status,
        reason: Some("Stack is in UPDATE_ROLLBACK_COMPLETE after a failed update".into()),
        contexts: vec![BlockerContext {
            key: "StackStatus".into(),
            value: "UPDATE_ROLLBACK_COMPLETE".into(),
        }],
        created_at: t(9, 4),
        resolved_reason: None,
        resolved_at: None,
    }
}

#[test]
fn a_blocker_is_new_once_then_resolves() {
    let stack = StackName::new("payments-api").unwrap();
    let active = blockers(&stack, &[blocker(BlockerStatus::Active)]).unwrap().remove(0);
    assert!(is_new_active_blocker(None, &active));
    let state = fold(std::slice::from_ref(&active)).unwrap();
    assert_eq!(state.health, Health::Failing);
    assert_eq!(state.active_blockers().count(), 1);
    assert!(!is_new_active_blocker(Some(&state), &active), "already known");
    assert_eq!(reconcile(Some(&state), &active), Reconciled::Unchanged);

    let mut resolved = blocker(BlockerStatus::Resolved);
    resolved.resolved_at = Some(t(9, 30));
    resolved.resolved_reason = Some("retried latest commit".into());
    let resolved = blockers(&stack, &[resolved]).unwrap().remove(0);
    assert_eq!(resolved.at, t(9, 30));
    let Reconciled::Changed(after) = reconcile(Some(&state), &resolved) else {
        panic!("resolution must be recorded")
    };
    assert_eq!(after.active_blockers().count(), 0);
    assert_eq!(after.health, Health::Healthy);
    assert_eq!(after.summary(), "", "a resolved blocker is history, not state");
}

#[test]
fn pipeline_api_statuses_map_to_event_states() {
    let run = PipelineRun {
        pipeline: PipelineName::new("payments-release").unwrap(),
        execution_id: "3f1a9c2e-7b4d-4e8a-9c1f-2d6b8e0a4f73".into(),
        status: "Failed".into(),
        last_update_at: t(10, 5),
        revision: Some("4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24".into()),
        revision_summary: Some("Fix bucket policy\n\nlong text".into()),
        trigger: Some("WebhookV2".into()),
        failure: Some("stage Deploy / action Deploy: JobFailed — Deployment failed".into()),
    };
    let observation = pipeline_run(&run).unwrap();
    assert_eq!(observation.change.label(), "execution FAILED");
    assert_eq!(observation.change.note().as_deref(), run.failure.as_deref());
    assert_eq!(PipelineState::from_api("InProgress"), PipelineState::InProgress);
    assert_eq!(PipelineState::from_api("Cancelled"), PipelineState::Canceled);
    assert_eq!(PipelineState::from_api("Paused"), PipelineState::Unknown("PAUSED".into()));
}

#[test]
fn a_connection_is_recorded_when_its_status_changes_only() {
    let available = Connection {
        arn: "arn:aws:codeconnections:eu-west-1:111122223333:connection/0f5b706a".into(),
        name: Some("github-acme".into()),
        provider: Some("GitHub".into()),
        status: ConnectionStatus::Available,
    };
    let first = connection(&available, t(9, 0)).unwrap();
    let state = fold(std::slice::from_ref(&first)).unwrap();
    assert_eq!(state.resource.to_string(), "connection/0f5b706a");
    assert_eq!(
        reconcile(Some(&state), &connection(&available, t(9, 5)).unwrap()),
        Reconciled::Unchanged
    );
    let error = Connection { status: ConnectionStatus::Error, ..available };
    let Reconciled::Changed(after) =
        reconcile(Some(&state), &connection(&error, t(9, 10)).unwrap())
    else {
        panic!("leaving AVAILABLE must be recorded")
    };
    assert_eq!(after.health, Health::Failing);
}

#[test]
fn a_blocker_whose_last_attempt_failed_is_announced_again_after_a_while() {
    let stack = StackName::new("payments-api").unwrap();
    let active = blockers(&stack, &[blocker(BlockerStatus::Active)]).unwrap().remove(0);
    let decision = |outcome: &str, minutes_ago: i64| Observation {
        resource: active.resource.clone(),
        at: t(12, 0) - Duration::minutes(minutes_ago),
        event_id: EventId::new(format!("decision-{minutes_ago}")).unwrap(),
        observed_by: ObservedBy::Event,
        change: Change::BlockerDecision {
            blocker: BlockerId::new("blk-1").unwrap(),
            decision: "resolve".into(),
            rule: "policy".into(),
            why: String::new(),
            mode: "enforce".into(),
            outcome: outcome.into(),
            requested_by: "event".into(),
        },
        commit: None,
        branch: None,
        repository: None,
        account: None,
        region: None,
    };
    let after = Duration::minutes(30);
    for (outcome, minutes_ago, expected) in [
        ("failed: RetryLatestCommitFailedException", 45, true),
        ("failed: RetryLatestCommitFailedException", 10, false),
        ("dry-run", 45, false),
        ("not-acted", 45, false),
    ] {
        let state = fold(&[active.clone(), decision(outcome, minutes_ago)]).unwrap();
        assert_eq!(
            needs_another_attempt(Some(&state), &active, t(12, 0), after),
            expected,
            "{outcome} {minutes_ago}"
        );
    }
    assert!(
        !needs_another_attempt(None, &active, t(12, 0), after),
        "never decided: that is a new blocker"
    );
}

#[test]
fn a_denied_read_fails_the_resource_once_and_a_working_read_restores_it() {
    let stack = ResourceId::Stack(StackName::new("search-index").unwrap());
    let action = "codeconnections:GetSyncBlockerSummary";
    let synced =
        stack_sync(&sync(SyncStatus::Succeeded, t(6, 0)), t(6, 5), Duration::minutes(60)).unwrap();
    let denied = access_denied(stack.clone(), action, "search-index", None, t(7, 0)).unwrap();
    let state = fold(&[synced.clone(), denied]).unwrap();
    assert_eq!(state.health, Health::Failing);
    assert_eq!(
        state.summary(),
        "git sync SUCCEEDED · access denied: codeconnections:GetSyncBlockerSummary"
    );

    // Denied again at the next check: nothing new to record, so nothing new to notify.
    let again = access_denied(stack.clone(), action, "search-index", None, t(8, 0)).unwrap();
    assert_eq!(reconcile(Some(&state), &again), Reconciled::Unchanged);

    let restored = access_restored(Some(&state), t(9, 0)).unwrap().unwrap();
    assert_eq!(restored.change.label(), format!("access restored: {action}"));
    let healthy = fold(&[synced.clone(), restored.clone()]).unwrap();
    let Reconciled::Changed(after) = reconcile(Some(&state), &restored) else { panic!() };
    assert_eq!(after.health, Health::Healthy);
    assert_eq!(after.summary(), "git sync SUCCEEDED", "a restored access is not news in status");
    // Nothing to restore where access was never denied.
    assert_eq!(access_restored(Some(&healthy), t(10, 0)).unwrap(), None);
    assert_eq!(access_restored(None, t(10, 0)).unwrap(), None);
}
