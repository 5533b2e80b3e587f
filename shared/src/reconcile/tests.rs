use chrono::{Duration, TimeZone};
use proptest::prelude::*;

use super::*;
use crate::ids::{EventId, StackName};
use crate::observation::ObservedBy;
use crate::status::{StackStatus, SyncStatus};

fn stack() -> ResourceId {
    ResourceId::Stack(StackName::new("payments-api").unwrap())
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn obs(id: &str, seconds: i64, change: Change) -> Observation {
    Observation {
        resource: stack(),
        at: at(seconds),
        event_id: EventId::new(id).unwrap(),
        observed_by: ObservedBy::Event,
        change,
        commit: None,
        branch: None,
        repository: None,
        account: None,
        region: None,
    }
}

fn sync(id: &str, seconds: i64, status: SyncStatus) -> Observation {
    obs(id, seconds, Change::GitSync { status, previous: None, provider: None, stuck_since: None })
}

fn cfn(id: &str, seconds: i64, status: StackStatus) -> Observation {
    obs(id, seconds, Change::Stack { status, reason: None, stack_id: None })
}

fn fold(observations: &[Observation]) -> Option<ResourceState> {
    observations.iter().fold(None, |state, o| match reconcile(state.as_ref(), o) {
        Reconciled::Changed(next) => Some(next),
        Reconciled::Unchanged | Reconciled::Untracked => state,
    })
}

#[test]
fn a_newer_observation_changes_the_state_and_an_older_one_does_not() {
    let first = fold(&[sync("a", 10, SyncStatus::Failed)]).unwrap();
    assert_eq!(first.health, Health::Failing);
    assert_eq!(first.version, 1);
    assert_eq!(
        reconcile(Some(&first), &sync("b", 5, SyncStatus::Succeeded)),
        Reconciled::Unchanged
    );
    let Reconciled::Changed(next) = reconcile(Some(&first), &sync("c", 20, SyncStatus::Succeeded))
    else {
        panic!("newer observation must change the state")
    };
    assert_eq!((next.health, next.version), (Health::Healthy, 2));
}

#[test]
fn a_redelivered_event_changes_nothing() {
    let event = sync("a", 10, SyncStatus::InProgress);
    let state = fold(std::slice::from_ref(&event)).unwrap();
    assert_eq!(reconcile(Some(&state), &event), Reconciled::Unchanged);
}

#[test]
fn within_one_second_the_lifecycle_decides() {
    // Same timestamp: IN_PROGRESS must not overwrite FAILED, whatever the arrival order.
    let state = fold(&[sync("z", 10, SyncStatus::Failed), sync("a", 10, SyncStatus::InProgress)]);
    assert_eq!(state.unwrap().health, Health::Failing);
}

#[test]
fn health_is_the_worst_facet() {
    let state = fold(&[
        sync("a", 10, SyncStatus::Succeeded),
        cfn("b", 20, StackStatus::UpdateRollbackFailed),
    ])
    .unwrap();
    assert_eq!(state.health, Health::Failing);
    assert_eq!(state.summary(), "git sync SUCCEEDED · stack UPDATE_ROLLBACK_FAILED");
}

#[test]
fn stack_events_for_stacks_git_sync_never_named_are_untracked() {
    assert_eq!(reconcile(None, &cfn("a", 10, StackStatus::UpdateComplete)), Reconciled::Untracked);
}

#[test]
fn stage_and_action_events_are_history_only() {
    let change = Change::PipelineStage {
        state: crate::status::PipelineState::Failed,
        execution_id: crate::ids::ExecutionId::new("e-1").unwrap(),
        stage: "Deploy".into(),
    };
    assert_eq!(reconcile(None, &obs("a", 1, change)), Reconciled::Unchanged);
}

fn sync_status() -> impl Strategy<Value = SyncStatus> {
    prop_oneof![
        Just(SyncStatus::Initiated),
        Just(SyncStatus::InProgress),
        Just(SyncStatus::Succeeded),
        Just(SyncStatus::Failed),
        Just(SyncStatus::Unknown("PAUSED".into())),
    ]
}

fn stack_status() -> impl Strategy<Value = StackStatus> {
    proptest::sample::select(StackStatus::KNOWN.to_vec())
}

/// A sequence of events for one stack, starting with a Git sync event so the stack is tracked,
/// with times drawn from a small range so many share a second.
fn sequence() -> impl Strategy<Value = Vec<Observation>> {
    let event = (0..20i64, any::<bool>(), sync_status(), stack_status());
    proptest::collection::vec(event, 1..25).prop_map(|events| {
        events
            .into_iter()
            .enumerate()
            .map(|(i, (t, is_sync, s, c))| {
                let id = format!("evt-{i:03}");
                if is_sync || i == 0 { sync(&id, t, s) } else { cfn(&id, t, c) }
            })
            .collect()
    })
}

fn comparable(
    state: Option<ResourceState>,
) -> Option<(Health, DateTime<Utc>, BTreeMap<Facet, Observation>)> {
    state.map(|s| (s.health, s.updated_at, s.facets))
}

proptest! {
    /// Any arrival order — shuffled, with redeliveries — ends in the state of the ordered run.
    #[test]
    fn shuffled_replay_with_duplicates_ends_in_the_same_state(
        events in sequence(),
        seed in any::<u64>(),
        duplicates in proptest::collection::vec(any::<proptest::sample::Index>(), 0..5),
    ) {
        let mut ordered = events.clone();
        ordered.sort_by_key(Observation::order_key);
        let mut shuffled = events.clone();
        shuffled.extend(duplicates.iter().map(|i| events[i.index(events.len())].clone()));
        // Keep the first event first: before it, the stack is untracked (by design).
        let rest = &mut shuffled[1..];
        let mut rng = seed;
        for i in (1..rest.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            rest.swap(i, (rng >> 33) as usize % (i + 1));
        }
        let mut expected_input = vec![events[0].clone()];
        expected_input.extend(ordered);
        prop_assert_eq!(comparable(fold(&shuffled)), comparable(fold(&expected_input)));
    }

    /// The state never moves backwards: each facet only ever gets a greater order key.
    #[test]
    fn a_facet_never_moves_backwards(events in sequence()) {
        let mut state: Option<ResourceState> = None;
        for event in &events {
            if let Reconciled::Changed(next) = reconcile(state.as_ref(), event) {
                if let Some(previous) = &state {
                    for (facet, old) in &previous.facets {
                        prop_assert!(next.facets[facet].order_key() >= old.order_key());
                    }
                    prop_assert_eq!(next.version, previous.version + 1);
                }
                state = Some(next);
            }
        }
    }
}

#[test]
fn a_pipeline_failure_names_the_commit_its_start_carried_in_either_order() {
    use crate::ids::{ExecutionId, PipelineName, Revision};
    use crate::status::PipelineState;
    let pipeline = |id: &str, seconds, state, execution: &str, commit: Option<&str>| Observation {
        resource: ResourceId::Pipeline(PipelineName::new("release").unwrap()),
        commit: commit.map(|c| Revision::new(c).unwrap()),
        ..obs(
            id,
            seconds,
            Change::PipelineExecution {
                state,
                execution_id: ExecutionId::new(execution).unwrap(),
                trigger: None,
                commit_message: None,
                failure: None,
                author: None,
            },
        )
    };
    let started = pipeline("a", 0, PipelineState::Started, "e-1", Some("4b8d2f61"));
    let failed = pipeline("b", 60, PipelineState::Failed, "e-1", None);
    for order in [[&started, &failed], [&failed, &started]] {
        let state = fold(&order.map(Clone::clone)).unwrap();
        assert_eq!(state.health, Health::Failing);
        assert_eq!(state.commit().map(Revision::as_str), Some("4b8d2f61"));
    }
    // A different execution's commit is not borrowed.
    let other = pipeline("c", 120, PipelineState::Failed, "e-2", None);
    let state = fold(&[started, other]).unwrap();
    assert_eq!(state.commit(), None);
}
