use chrono::TimeZone;
use proptest::prelude::*;

use super::*;
use crate::ids::{EventId, Revision, StackName};
use crate::observation::ObservedBy;
use crate::reconcile::{Reconciled, reconcile};

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn sync(id: &str, minutes: i64, status: SyncStatus, commit: &str) -> Observation {
    Observation {
        resource: ResourceId::Stack(StackName::new("payments-api").unwrap()),
        at: at(minutes),
        event_id: EventId::new(id).unwrap(),
        observed_by: ObservedBy::Event,
        change: Change::GitSync {
            status,
            previous: None,
            provider: Some("GitHub".into()),
            stuck_since: None,
        },
        commit: Some(Revision::new(commit).unwrap()),
        branch: None,
        repository: Some("acme/infra-repo".into()),
        account: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
    }
}

const A: &str = "9f2c1e0b7d4a4c3e8b1f6a5d2c9e0f1a2b3c4d5e";
const B: &str = "4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24";

/// Runs observations through reconcile and the lifecycle, as the stream would deliver them.
fn run(observations: &[Observation], config: &IncidentConfig) -> (Option<Incident>, Vec<Notice>) {
    let (mut state, mut incident, mut notices) =
        (None::<ResourceState>, None::<Incident>, Vec::new());
    for o in observations {
        if let Reconciled::Changed(next) = reconcile(state.as_ref(), o) {
            let step = apply(incident.as_ref(), state.as_ref(), &next, config);
            incident = step.incident;
            notices.extend(step.notice);
            state = Some(next);
        }
    }
    (incident, notices)
}

fn kinds(notices: &[Notice]) -> Vec<NoticeKind> {
    notices.iter().map(|n| n.kind).collect()
}

#[test]
fn a_failure_pages_once_later_failures_attach_and_the_first_success_recovers() {
    let story = [
        sync("e1", 0, SyncStatus::InProgress, A),
        sync("e2", 3, SyncStatus::Failed, A),
        sync("e3", 10, SyncStatus::Initiated, A),
        sync("e4", 11, SyncStatus::InProgress, A),
        sync("e5", 14, SyncStatus::Failed, A),
        sync("e6", 60, SyncStatus::Initiated, B),
        sync("e7", 75, SyncStatus::Succeeded, B),
    ];
    let (incident, notices) = run(&story, &IncidentConfig::default());
    use NoticeKind::*;
    assert_eq!(kinds(&notices), [Opened, Updated, Updated, Updated, Resolved]);
    let opened = &notices[0];
    assert_eq!(opened.headline, "Git sync failed: payments-api");
    assert_eq!(opened.change, "git sync IN_PROGRESS → FAILED");
    assert_eq!(opened.severity, Severity::Critical);
    assert_eq!(opened.event_type, EventType::SyncFailed);
    assert_eq!(
        opened.commit_url.as_deref(),
        Some(format!("https://github.com/acme/infra-repo/commit/{A}").as_str())
    );
    assert!(
        opened.links[0].url.starts_with("https://eu-west-1.console.aws.amazon.com/cloudformation/")
    );
    assert_eq!(notices[1].event_type, EventType::RetryStarted);
    let resolved = notices.last().unwrap();
    assert_eq!(resolved.event_type, EventType::Recovered);
    assert_eq!(resolved.outage, Some(Duration::minutes(72)), "from the first failure to green");
    assert_eq!(resolved.fixed_by.as_deref(), Some(B));
    assert!(notices.iter().all(|n| n.incident_id == opened.incident_id), "one incident");
    let ids: std::collections::BTreeSet<&str> =
        notices.iter().map(|n| n.transition_id.as_str()).collect();
    assert_eq!(ids.len(), notices.len(), "every transition has its own id");
    assert_eq!(incident.unwrap().status, IncidentStatus::Closed);
}

#[test]
fn flapping_inside_the_window_stays_one_incident() {
    let story = [
        sync("e1", 0, SyncStatus::Failed, A),
        sync("e2", 5, SyncStatus::Succeeded, B),
        sync("e3", 15, SyncStatus::Failed, B),
        sync("e4", 20, SyncStatus::Succeeded, B),
    ];
    let (_, notices) = run(&story, &IncidentConfig { flap_window: Duration::minutes(30) });
    use NoticeKind::*;
    assert_eq!(kinds(&notices), [Opened, Resolved, Reopened, Resolved]);
    assert!(notices.iter().all(|n| n.incident_id == notices[0].incident_id));
    assert_eq!(
        notices[3].outage,
        Some(Duration::minutes(20)),
        "outage counts from the first failure"
    );

    // Outside the window, the second failure is a new incident (a new page).
    let (_, notices) = run(&story, &IncidentConfig { flap_window: Duration::minutes(5) });
    assert_eq!(kinds(&notices), [Opened, Resolved, Opened, Resolved]);
    assert_ne!(notices[0].incident_id, notices[2].incident_id);
}

#[test]
fn a_redelivered_change_notifies_nothing() {
    let first = sync("e1", 0, SyncStatus::Failed, A);
    let Reconciled::Changed(state) = reconcile(None, &first) else { panic!() };
    let step = apply(None, None, &state, &IncidentConfig::default());
    assert!(step.notice.is_some());
    let again = apply(step.incident.as_ref(), None, &state, &IncidentConfig::default());
    assert_eq!(again.notice, None);
    assert_eq!(again.incident, step.incident);
}

#[test]
fn healthy_resources_never_notify() {
    let story = [sync("e1", 0, SyncStatus::InProgress, A), sync("e2", 1, SyncStatus::Succeeded, A)];
    let (incident, notices) = run(&story, &IncidentConfig::default());
    assert!(notices.is_empty() && incident.is_none());
}

fn status() -> impl Strategy<Value = SyncStatus> {
    prop_oneof![
        Just(SyncStatus::Initiated),
        Just(SyncStatus::InProgress),
        Just(SyncStatus::Succeeded),
        Just(SyncStatus::Failed),
    ]
}

proptest! {
    /// Whatever the sequence: pages and recoveries alternate, every recovery closes the incident
    /// the last page opened, and a transition is never notified twice.
    #[test]
    fn pages_and_recoveries_alternate(steps in proptest::collection::vec((1..30i64, status()), 1..40)) {
        let mut minute = 0;
        let story: Vec<Observation> = steps
            .iter()
            .enumerate()
            .map(|(i, (gap, s))| { minute += gap; sync(&format!("e{i:03}"), minute, s.clone(), A) })
            .collect();
        let (_, notices) = run(&story, &IncidentConfig::default());
        let mut open = false;
        for n in &notices {
            match n.kind {
                NoticeKind::Opened | NoticeKind::Reopened => { prop_assert!(!open); open = true; }
                NoticeKind::Resolved => { prop_assert!(open); open = false; prop_assert!(n.outage.is_some()); }
                NoticeKind::Updated => prop_assert!(open),
            }
        }
        let ids: std::collections::BTreeSet<&str> = notices.iter().map(|n| n.transition_id.as_str()).collect();
        prop_assert_eq!(ids.len(), notices.len());
    }
}

/// Every kind of failure the notifier handles opens an incident with its own event type.
#[test]
fn each_kind_of_failure_is_told_as_what_it_is() {
    use crate::ids::{BlockerId, ConnectionId, ExecutionId, PipelineName};
    use crate::status::{BlockerStatus, ConnectionStatus, PipelineState, StackStatus};
    let base = sync("x", 0, SyncStatus::Failed, A);
    let stack = ResourceId::Stack(StackName::new("payments-api").unwrap());
    let cases: Vec<(ResourceId, Change, EventType, &str)> = vec![
        (
            stack.clone(),
            Change::Stack {
                status: StackStatus::UpdateRollbackFailed,
                reason: None,
                stack_id: None,
            },
            EventType::StackFailed,
            "Stack deployment failed: payments-api",
        ),
        (
            stack.clone(),
            Change::Blocker {
                id: BlockerId::new("blk-1").unwrap(),
                status: BlockerStatus::Active,
                reason: Some("rolled back".into()),
                contexts: vec![],
                created_at: at(0),
                resolved_reason: None,
                resolved_at: None,
            },
            EventType::BlockerActive,
            "Git sync blocked: payments-api",
        ),
        (
            stack.clone(),
            Change::GitSync {
                status: SyncStatus::InProgress,
                previous: None,
                provider: None,
                stuck_since: Some(at(-90)),
            },
            EventType::SyncStuck,
            "Git sync stuck: payments-api",
        ),
        (
            ResourceId::Pipeline(PipelineName::new("release").unwrap()),
            Change::PipelineExecution {
                state: PipelineState::Failed,
                execution_id: ExecutionId::new("e-1").unwrap(),
                trigger: None,
                commit_message: None,
                failure: Some("stage Deploy / action Deploy: JobFailed".into()),
                author: None,
            },
            EventType::PipelineFailed,
            "Pipeline failed: release",
        ),
        (
            ResourceId::Connection(ConnectionId::new("0f5b706a").unwrap()),
            Change::Connection {
                status: ConnectionStatus::Error,
                arn: "arn:aws:codeconnections:eu-west-1:1:connection/0f5b706a".into(),
                name: None,
                provider: None,
            },
            EventType::ConnectionUnavailable,
            "Connection unavailable: 0f5b706a",
        ),
        (
            stack.clone(),
            Change::Access {
                denied: true,
                action: "codeconnections:GetSyncBlockerSummary".into(),
                subject: "payments-api".into(),
                message: Some("AccessDeniedException".into()),
            },
            EventType::AccessDenied,
            "Access denied: payments-api",
        ),
    ];
    for (resource, change, expected, headline) in cases {
        // Stack events only count for tracked stacks: a Git sync observation comes first.
        let mut story = vec![sync("first", -1, SyncStatus::Succeeded, A)];
        story.retain(|_| resource == stack);
        story.push(Observation { resource, change, ..base.clone() });
        let (incident, notices) = run(&story, &IncidentConfig::default());
        assert_eq!(notices.len(), 1, "{expected:?}: {notices:?}");
        assert_eq!((notices[0].kind, notices[0].event_type), (NoticeKind::Opened, expected));
        assert_eq!(notices[0].headline, headline);
        assert_eq!(incident.unwrap().status, IncidentStatus::Open);
    }
}
