//! What the control plane says, as plain data ([`crate::clients::control_plane`] reads it),
//! and the pure rules that turn it into observations: the poller's, and the resolver's when it
//! records the blocker it just resolved.
//!
//! Ids of polled observations are derived from what was read, so reading the same thing twice
//! yields the same observation, and the poller never needs to remember what it saw.

use chrono::{DateTime, Duration, Utc};

use crate::decision::{ActionOutcome, Recorded};
use crate::ids::{BlockerId, Branch, EventId, ExecutionId, RepositoryLinkId, Revision, StackName};
use crate::ids::{ConnectionId, PipelineName, ResourceId};
use crate::observation::{BlockerContext, Change, Facet, Observation, ObservedBy};
use crate::reconcile::ResourceState;
use crate::status::{BlockerStatus, ConnectionStatus, PipelineState, SyncStatus};

/// A repository link, as discovery found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    pub id: RepositoryLinkId,
    pub connection_arn: String,
    /// `owner/name`.
    pub repository: String,
    pub provider: String,
}

/// A CloudFormation stack sync configuration, as discovery found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfigInfo {
    pub stack: StackName,
    pub link: RepositoryLinkId,
    pub branch: Branch,
}

/// A stack's latest Git sync attempt (`GetResourceSyncStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSync {
    pub stack: StackName,
    pub status: SyncStatus,
    pub started_at: DateTime<Utc>,
    /// The newest of the attempt's events, if it has any.
    pub last_event_at: Option<DateTime<Utc>>,
    pub target_sha: Option<String>,
    pub branch: Option<String>,
    pub repository: Option<String>,
    pub provider: Option<String>,
    /// The commit Git sync wants deployed (`DesiredState`).
    pub desired_sha: Option<String>,
}

/// One of a stack's latest blockers (`GetSyncBlockerSummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    pub id: String,
    pub status: BlockerStatus,
    pub reason: Option<String>,
    pub contexts: Vec<BlockerContext>,
    pub created_at: DateTime<Utc>,
    pub resolved_reason: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A repository branch's latest sync (`GetRepositorySyncStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositorySync {
    pub link: RepositoryLinkId,
    pub branch: Branch,
    pub repository: String,
    pub status: SyncStatus,
    pub started_at: DateTime<Utc>,
    pub last_event_at: Option<DateTime<Utc>>,
}

/// A pipeline's latest execution (`ListPipelineExecutions`; `ListActionExecutions` of that
/// run when it failed; `GetPipelineExecution` when the summary lacks the revision or trigger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineRun {
    pub pipeline: PipelineName,
    pub execution_id: String,
    /// As the API spells it (`Failed`, `InProgress`, …).
    pub status: String,
    pub last_update_at: DateTime<Utc>,
    /// The source revision, opaque (a Git commit, a CodeCommit id, an S3 version, …).
    pub revision: Option<String>,
    pub revision_summary: Option<String>,
    pub trigger: Option<String>,
    /// Stage, action and error of each failed action of this execution (not of a newer run).
    pub failure: Option<String>,
}

/// A connection's status (`GetConnection`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub arn: String,
    pub name: Option<String>,
    pub provider: Option<String>,
    pub status: ConnectionStatus,
}

/// Why a read could not become an observation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {message}")]
pub struct ObserveError {
    pub what: String,
    pub message: String,
}

fn id(parts: &[&str]) -> Result<EventId, ObserveError> {
    let value = format!("poll-{}", parts.join("-"));
    EventId::new(value.clone()).map_err(|e| ObserveError { what: value, message: e.to_string() })
}

fn polled(
    resource: ResourceId,
    at: DateTime<Utc>,
    event_id: EventId,
    change: Change,
) -> Observation {
    Observation::new(resource, at, event_id, ObservedBy::Poll, change)
}

fn is_running(status: &SyncStatus) -> bool {
    matches!(status, SyncStatus::Queued | SyncStatus::Initiated | SyncStatus::InProgress)
}

/// A stack's sync status; flagged stuck when it has run longer than `stuck_after`.
///
/// A stuck observation is dated when the sync became stuck (start + threshold), not when the
/// poll saw it, so every later poll produces the same observation and writes nothing.
pub fn stack_sync(
    sync: &StackSync,
    now: DateTime<Utc>,
    stuck_after: Duration,
) -> Result<Observation, ObserveError> {
    let stuck = is_running(&sync.status) && now - sync.started_at > stuck_after;
    let started_ms = sync.started_at.timestamp_millis().to_string();
    let (at, event_id) = if stuck {
        (sync.started_at + stuck_after, id(&["stuck", &started_ms])?)
    } else {
        let at = sync.last_event_at.map_or(sync.started_at, |t| t.max(sync.started_at));
        (at, id(&["sync", sync.status.as_str(), &at.timestamp_millis().to_string()])?)
    };
    let change = Change::GitSync {
        status: sync.status.clone(),
        previous: None,
        provider: sync.provider.clone(),
        stuck_since: stuck.then_some(sync.started_at),
    };
    let mut observation = polled(ResourceId::Stack(sync.stack.clone()), at, event_id, change);
    observation.commit = sync.target_sha.as_deref().and_then(|s| Revision::new(s).ok());
    observation.branch = sync.branch.as_deref().and_then(|b| Branch::new(b).ok());
    observation.repository = sync.repository.clone();
    Ok(observation)
}

/// Each of a stack's blockers, dated when it was created (or resolved).
pub fn blockers(stack: &StackName, found: &[Blocker]) -> Result<Vec<Observation>, ObserveError> {
    found
        .iter()
        .map(|b| {
            let blocker_id = BlockerId::new(b.id.clone()).map_err(|e| ObserveError {
                what: format!("blocker of {stack}"),
                message: e.to_string(),
            })?;
            let at = match (&b.status, b.resolved_at) {
                (BlockerStatus::Resolved, Some(resolved)) => resolved,
                _ => b.created_at,
            };
            let change = Change::Blocker {
                id: blocker_id,
                status: b.status.clone(),
                reason: b.reason.clone(),
                contexts: b.contexts.clone(),
                created_at: b.created_at,
                resolved_reason: b.resolved_reason.clone(),
                resolved_at: b.resolved_at,
            };
            let event_id = id(&["blocker", &b.id, b.status.as_str()])?;
            Ok(polled(ResourceId::Stack(stack.clone()), at, event_id, change))
        })
        .collect()
}

/// A repository branch's sync status.
pub fn repository_sync(sync: &RepositorySync) -> Result<Observation, ObserveError> {
    let at = sync.last_event_at.map_or(sync.started_at, |t| t.max(sync.started_at));
    let event_id = id(&["sync", sync.status.as_str(), &at.timestamp_millis().to_string()])?;
    let change = Change::GitSync {
        status: sync.status.clone(),
        previous: None,
        provider: None,
        stuck_since: None,
    };
    let resource = ResourceId::Repository { link: sync.link.clone(), branch: sync.branch.clone() };
    let mut observation = polled(resource, at, event_id, change);
    observation.branch = Some(sync.branch.clone());
    observation.repository = Some(sync.repository.clone());
    Ok(observation)
}

/// A pipeline's latest execution.
pub fn pipeline_run(run: &PipelineRun) -> Result<Observation, ObserveError> {
    let state = PipelineState::from_api(&run.status);
    let execution_id = ExecutionId::new(run.execution_id.clone()).map_err(|e| ObserveError {
        what: format!("pipeline {}", run.pipeline),
        message: e.to_string(),
    })?;
    let event_id = id(&["execution", &run.execution_id, state.as_str()])?;
    let change = Change::PipelineExecution {
        state,
        execution_id,
        trigger: run.trigger.clone(),
        commit_message: run
            .revision_summary
            .as_deref()
            .and_then(|m| m.lines().next())
            .map(str::to_owned),
        failure: run.failure.clone(),
        author: None,
    };
    let mut observation =
        polled(ResourceId::Pipeline(run.pipeline.clone()), run.last_update_at, event_id, change);
    observation.commit = run.revision.as_deref().and_then(|s| Revision::new(s).ok());
    Ok(observation)
}

/// A connection's status. The API gives no time, so it is dated by the poll; a status the
/// state already holds is a confirmation and writes nothing.
pub fn connection(found: &Connection, now: DateTime<Utc>) -> Result<Observation, ObserveError> {
    let id_part = ConnectionId::from_arn(&found.arn)
        .map_err(|e| ObserveError { what: "connection".into(), message: e.to_string() })?;
    let event_id = id(&["connection", found.status.as_str(), &now.timestamp_millis().to_string()])?;
    let change = Change::Connection {
        status: found.status.clone(),
        arn: found.arn.clone(),
        name: found.name.clone(),
        provider: found.provider.clone(),
    };
    Ok(polled(ResourceId::Connection(id_part), now, event_id, change))
}

/// The poller's role may not read `resource`: `action` on `subject` was answered
/// AccessDenied. Dated by the poll (the API says nothing of when IAM changed).
pub fn access_denied(
    resource: ResourceId,
    action: &str,
    subject: &str,
    message: Option<String>,
    now: DateTime<Utc>,
) -> Result<Observation, ObserveError> {
    let event_id = id(&["access-denied", &now.timestamp_millis().to_string()])?;
    let change = Change::Access {
        denied: true,
        action: action.to_owned(),
        subject: subject.to_owned(),
        message: crate::events::trim_text(message, 500),
    };
    Ok(polled(resource, now, event_id, change))
}

/// A read of `state`'s resource succeeded while its state says access was denied: the
/// observation that says access is back, or `None` when there is nothing to restore.
pub fn access_restored(
    state: Option<&ResourceState>,
    now: DateTime<Utc>,
) -> Result<Option<Observation>, ObserveError> {
    let Some(state) = state else { return Ok(None) };
    let Some(Change::Access { denied: true, action, subject, .. }) =
        state.facets.get(&Facet::Access).map(|o| &o.change)
    else {
        return Ok(None);
    };
    let event_id = id(&["access-restored", &now.timestamp_millis().to_string()])?;
    let change = Change::Access {
        denied: false,
        action: action.clone(),
        subject: subject.clone(),
        message: None,
    };
    Ok(Some(polled(state.resource.clone(), now, event_id, change)))
}

/// Whether recording `observation` would make a blocker newly ACTIVE in `state`: the moment
/// to tell the auto-resolver and the notifier.
pub fn is_new_active_blocker(state: Option<&ResourceState>, observation: &Observation) -> bool {
    let Change::Blocker { status: BlockerStatus::Active, .. } = &observation.change else {
        return false;
    };
    let known =
        observation.change.facet().and_then(|facet| state.and_then(|s| s.facets.get(&facet)));
    !matches!(known, Some(o) if matches!(o.change, Change::Blocker { .. }))
}

/// Whether an already-known ACTIVE blocker should be announced again: the auto-resolver's last
/// attempt on it failed (e.g. RetryLatestCommitFailed) and `after` has passed since. The
/// resolver's own cool-down and daily cap still decide what happens then.
pub fn needs_another_attempt(
    state: Option<&ResourceState>,
    observation: &Observation,
    now: DateTime<Utc>,
    after: Duration,
) -> bool {
    let Change::Blocker { id, status: BlockerStatus::Active, .. } = &observation.change else {
        return false;
    };
    let decision =
        state.and_then(|s| s.facets.get(&crate::observation::Facet::Decision(id.clone())));
    matches!(
        decision,
        Some(Observation {
            change: Change::BlockerDecision {
                outcome: Recorded::Known(ActionOutcome::Failed(_)), ..
            },
            at,
            ..
        }) if now - *at >= after
    )
}

#[cfg(test)]
mod tests;
