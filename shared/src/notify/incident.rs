//! The incident lifecycle: pure rules from a resource's state change to what people are told.
//!
//! A failure opens an incident (one page). While it is open, later failures, blockers and
//! retries attach to it as updates (no new page). The first time the resource is green again
//! closes it with a recovery notice that carries the outage length and the fixing commit.
//! Failing again within the flap window reopens the same incident instead of paging again.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::notice::{BlockerNotice, EventType, Link, Notice, NoticeKind, Severity};
use crate::decision::{DecisionKind, Recorded};
use crate::ids::{ResourceId, ResourceKind};
use crate::observation::{Change, Observation};
use crate::reconcile::ResourceState;
use crate::status::{BlockerStatus, Health, PipelineState, SyncStatus};

/// Whether people are still being told about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Open,
    Closed,
}

/// One incident of one resource, as stored next to its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// `<resource>@<opened, epoch ms>`: stable for the incident's whole life.
    pub id: String,
    pub resource: ResourceId,
    pub status: IncidentStatus,
    pub opened_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// What first went red.
    pub first_failure: String,
    /// Notices sent for it so far (the page, updates, reopenings, recoveries).
    pub notices: u32,
    /// The resource state version last applied: a redelivered change is recognised.
    pub last_version: u64,
    /// Slack bot channels: the `ts` of the incident's root message, whose thread holds the rest.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub slack_threads: std::collections::BTreeMap<String, String>,
}

/// Tunables of the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentConfig {
    /// Failing again within this long after recovering reopens the same incident.
    pub flap_window: Duration,
}

impl Default for IncidentConfig {
    fn default() -> Self {
        IncidentConfig { flap_window: Duration::minutes(30) }
    }
}

/// What one state change does to the incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The incident after the change (`None`: no incident, nothing to store).
    pub incident: Option<Incident>,
    /// What to tell people, if anything.
    pub notice: Option<Notice>,
}

/// The newest observation that differs between `old` and `new`: what this change was about.
pub fn what_changed<'a>(
    old: Option<&ResourceState>,
    new: &'a ResourceState,
) -> Option<&'a Observation> {
    new.facets
        .iter()
        .filter(|(facet, o)| old.and_then(|s| s.facets.get(*facet)) != Some(*o))
        .map(|(_, o)| o)
        .max_by_key(|o| o.order_key())
}

/// Applies one stream record (the resource's state before and after a write).
///
/// Idempotent: a change whose version the incident has already applied does nothing.
pub fn apply(
    incident: Option<&Incident>,
    old: Option<&ResourceState>,
    new: &ResourceState,
    config: &IncidentConfig,
) -> Step {
    let unchanged = Step { incident: incident.cloned(), notice: None };
    if incident.is_some_and(|i| i.last_version >= new.version) {
        return unchanged;
    }
    let Some(changed) = what_changed(old, new) else { return unchanged };
    let was = old.map_or(Health::Healthy, |s| s.health);
    let open = incident.filter(|i| i.status == IncidentStatus::Open);
    let at = changed.at;

    let (mut next, kind) = match (open, new.health) {
        (None, Health::Failing) if was != Health::Failing || incident.is_none() => match incident {
            Some(closed) if closed.closed_at.is_some_and(|c| at - c <= config.flap_window) => {
                let reopened =
                    Incident { status: IncidentStatus::Open, closed_at: None, ..closed.clone() };
                (reopened, NoticeKind::Reopened)
            }
            _ => {
                let opened = Incident {
                    id: format!("{}@{}", new.resource, at.timestamp_millis()),
                    resource: new.resource.clone(),
                    status: IncidentStatus::Open,
                    opened_at: at,
                    closed_at: None,
                    first_failure: changed.change.label(),
                    notices: 0,
                    last_version: 0,
                    slack_threads: Default::default(),
                };
                (opened, NoticeKind::Opened)
            }
        },
        (Some(open), Health::Healthy) => {
            let closed =
                Incident { status: IncidentStatus::Closed, closed_at: Some(at), ..open.clone() };
            (closed, NoticeKind::Resolved)
        }
        (Some(open), _) if worth_an_update(changed) => (open.clone(), NoticeKind::Updated),
        (Some(open), _) => {
            // Attached silently (an in-progress step): remember the version, tell nobody.
            let quiet = Incident { last_version: new.version, ..open.clone() };
            return Step { incident: Some(quiet), notice: None };
        }
        _ => return unchanged,
    };
    next.notices += 1;
    next.last_version = new.version;
    let previous = old.and_then(|s| changed.change.facet().and_then(|f| s.facets.get(&f)));
    let notice = notice(&next, kind, changed, previous, new);
    Step { incident: Some(next), notice: Some(notice) }
}

/// While an incident is open: new failures, blocker changes and new attempts are news;
/// intermediate in-progress steps are not.
fn worth_an_update(changed: &Observation) -> bool {
    match &changed.change {
        Change::Blocker { .. } | Change::BlockerDecision { .. } => true,
        Change::GitSync { status: SyncStatus::Initiated, .. } => true,
        Change::PipelineExecution { state: PipelineState::Started, .. } => true,
        change => change.health() == Health::Failing,
    }
}

fn event_type(kind: NoticeKind, changed: &Observation) -> EventType {
    if kind == NoticeKind::Resolved {
        return EventType::Recovered;
    }
    match &changed.change {
        Change::GitSync { stuck_since: Some(_), .. } => EventType::SyncStuck,
        Change::GitSync { status: SyncStatus::Failed, .. }
            if changed.resource.kind() == ResourceKind::Repository =>
        {
            EventType::RepositorySyncFailed
        }
        Change::GitSync { status: SyncStatus::Failed, .. } => EventType::SyncFailed,
        Change::Stack { .. } if changed.change.health() == Health::Failing => {
            EventType::StackFailed
        }
        Change::BlockerDecision { decision: Recorded::Known(DecisionKind::Escalate), .. } => {
            EventType::AutoResolveEscalated
        }
        Change::BlockerDecision { .. } => EventType::AutoResolve,
        Change::Blocker { status: BlockerStatus::Active, .. } => EventType::BlockerActive,
        Change::Blocker { .. } => EventType::BlockerResolved,
        Change::PipelineExecution { state: PipelineState::Failed, .. } => EventType::PipelineFailed,
        Change::Connection { .. } if changed.change.health() == Health::Failing => {
            EventType::ConnectionUnavailable
        }
        Change::Access { denied: true, .. } => EventType::AccessDenied,
        _ => EventType::RetryStarted,
    }
}

fn headline(event: EventType, resource: &ResourceId) -> String {
    let name = match resource {
        ResourceId::Stack(name) => name.to_string(),
        ResourceId::Pipeline(name) => name.to_string(),
        ResourceId::Connection(id) => id.to_string(),
        ResourceId::Repository { branch, .. } => format!("repository branch {branch}"),
    };
    let what = match event {
        EventType::SyncFailed => "Git sync failed",
        EventType::RepositorySyncFailed => "Repository sync failed",
        EventType::StackFailed => "Stack deployment failed",
        EventType::SyncStuck => "Git sync stuck",
        EventType::BlockerActive => "Git sync blocked",
        EventType::BlockerResolved => "Sync blocker resolved",
        EventType::PipelineFailed => "Pipeline failed",
        EventType::ConnectionUnavailable => "Connection unavailable",
        EventType::AccessDenied => "Access denied",
        EventType::RetryStarted => "New attempt started",
        EventType::AutoResolve => "Auto-resolve decided",
        EventType::AutoResolveEscalated => "Auto-resolve escalated",
        EventType::Recovered => "Recovered",
    };
    format!("{what}: {name}")
}

/// The provider's page for a commit, when the provider and `owner/name` are known.
pub fn commit_url(provider: Option<&str>, repository: Option<&str>, sha: &str) -> Option<String> {
    let repository = repository.filter(|r| r.contains('/'))?;
    match provider? {
        "GitHub" | "Github" => Some(format!("https://github.com/{repository}/commit/{sha}")),
        "GitLab" | "Gitlab" => Some(format!("https://gitlab.com/{repository}/-/commit/{sha}")),
        "Bitbucket" | "BitBucket" => {
            Some(format!("https://bitbucket.org/{repository}/commits/{sha}"))
        }
        _ => None,
    }
}

/// Console links to where a person looks next.
fn links(state: &ResourceState, region: Option<&str>) -> Vec<Link> {
    let Some(region) = region else { return Vec::new() };
    let console = format!("https://{region}.console.aws.amazon.com");
    match &state.resource {
        ResourceId::Stack(name) => {
            let stack_id = state.facets.values().find_map(|o| match &o.change {
                Change::Stack { stack_id: Some(id), .. } => Some(id.clone()),
                _ => None,
            });
            let id = stack_id.unwrap_or_else(|| name.to_string());
            vec![Link {
                label: "Stack events".into(),
                url: format!(
                    "{console}/cloudformation/home?region={region}#/stacks/events?stackId={}",
                    encode(&id)
                ),
            }]
        }
        ResourceId::Pipeline(name) => {
            let execution = state.facets.values().find_map(|o| match &o.change {
                Change::PipelineExecution { execution_id, .. } => Some(execution_id.to_string()),
                _ => None,
            });
            let path = match execution {
                Some(id) => format!("{name}/executions/{id}/timeline"),
                None => format!("{name}/view"),
            };
            vec![Link {
                label: "Pipeline execution".into(),
                url: format!("{console}/codesuite/codepipeline/pipelines/{path}?region={region}"),
            }]
        }
        ResourceId::Repository { .. } | ResourceId::Connection(_) => vec![Link {
            label: "Connections".into(),
            url: format!("{console}/codesuite/settings/connections?region={region}"),
        }],
    }
}

/// Percent-encodes what a stack ARN carries into a URL query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn notice(
    incident: &Incident,
    kind: NoticeKind,
    changed: &Observation,
    previous: Option<&Observation>,
    state: &ResourceState,
) -> Notice {
    let event_type = event_type(kind, changed);
    let severity = match (kind, event_type) {
        (NoticeKind::Opened | NoticeKind::Reopened, _) => Severity::Critical,
        (NoticeKind::Resolved, _) => Severity::Info,
        (NoticeKind::Updated, EventType::RetryStarted | EventType::BlockerResolved) => {
            Severity::Info
        }
        (NoticeKind::Updated, _) => Severity::Warning,
    };
    let change = match previous {
        Some(before) if before.change.label() != changed.change.label() => {
            format!("{} → {}", before.change.label(), changed.change.status())
        }
        _ => changed.change.label(),
    };
    let provider = state.facets.values().find_map(|o| match &o.change {
        Change::GitSync { provider: Some(p), .. } => Some(p.clone()),
        _ => None,
    });
    let commit = state.commit().map(ToString::to_string);
    let repository = state.repository().map(str::to_owned);
    let blocker = match &changed.change {
        Change::Blocker { id, reason, contexts, .. } => Some(BlockerNotice {
            id: id.to_string(),
            reason: reason.clone(),
            contexts: contexts.clone(),
        }),
        _ => state.active_blockers().next().and_then(|o| match &o.change {
            Change::Blocker { id, reason, contexts, .. } => Some(BlockerNotice {
                id: id.to_string(),
                reason: reason.clone(),
                contexts: contexts.clone(),
            }),
            _ => None,
        }),
    };
    let region = state.facets.values().find_map(|o| o.region.clone());
    Notice {
        incident_id: incident.id.clone(),
        transition_id: format!("{}#{}", incident.id, incident.notices),
        kind,
        event_type,
        severity,
        resource: state.resource.clone(),
        headline: headline(event_type, &state.resource),
        change,
        state: state.summary(),
        detail: changed.change.note(),
        // Only a Git object id has a page at the provider; other revisions are shown as sent.
        commit_url: commit
            .as_deref()
            .filter(|revision| crate::ids::is_git_commit(revision))
            .and_then(|sha| commit_url(provider.as_deref(), repository.as_deref(), sha)),
        commit: commit.clone(),
        branch: state.branch().map(ToString::to_string),
        repository,
        blocker,
        links: links(state, region.as_deref()),
        account: state.facets.values().find_map(|o| o.account.clone()),
        region,
        at: changed.at,
        opened_at: incident.opened_at,
        outage: (kind == NoticeKind::Resolved).then(|| changed.at - incident.opened_at),
        fixed_by: (kind == NoticeKind::Resolved).then_some(commit).flatten(),
        author: state.facets.values().find_map(|o| match &o.change {
            Change::PipelineExecution { author, .. } => author.clone(),
            _ => None,
        }),
        mention: None,
    }
}

#[cfg(test)]
mod tests;
