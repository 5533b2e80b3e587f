//! The normalised observation: one thing that happened to one resource, whatever its source.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::decision::{ActionOutcome, DecisionKind, Mode, Recorded};
use crate::ids::{BlockerId, Branch, EventId, ExecutionId, ResourceId, Revision};
use crate::status::{
    BlockerStatus, ConnectionStatus, Health, Lifecycle, PipelineState, StackStatus, SyncStatus,
};

/// How syncwarden learned of an observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservedBy {
    /// An EventBridge event (live, or replayed from a DLQ or archive).
    Event,
    /// The scheduled poller found it and no event had reported it.
    Poll,
}

/// One status change of one resource, with what a person needs to understand it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub resource: ResourceId,
    /// When it happened (the event's `time`).
    pub at: DateTime<Utc>,
    /// The source event's id: redelivery of the same id is the same observation.
    pub event_id: EventId,
    pub observed_by: ObservedBy,
    pub change: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<Revision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<Branch>,
    /// Repository name as the provider shows it (`owner/name` when the owner is known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// What changed, with the detail trimmed to what a person needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// Git sync status of a stack (Resource Sync Status Change) or of a repository branch
    /// (Repository Sync Status Change).
    GitSync {
        status: SyncStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<SyncStatus>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<String>,
        /// Set by the poller when the sync has been running longer than the threshold: the
        /// time it started.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stuck_since: Option<DateTime<Utc>>,
    },
    /// CloudFormation status of the stack a Git sync deploys.
    Stack {
        status: StackStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stack_id: Option<String>,
    },
    /// A whole pipeline execution.
    PipelineExecution {
        state: PipelineState,
        execution_id: ExecutionId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trigger: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commit_message: Option<String>,
        /// Where it failed, when the poller read it from `ListActionExecutions` (that run's
        /// failed actions, even when a newer run has started).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure: Option<String>,
        /// The commit's author (email, else display name) from a Git trigger: whom to mention.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        author: Option<String>,
    },
    /// One stage of a pipeline execution.
    PipelineStage { state: PipelineState, execution_id: ExecutionId, stage: String },
    /// One action of a pipeline execution; failures carry the provider's verdict.
    PipelineAction {
        state: PipelineState,
        execution_id: ExecutionId,
        stage: String,
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_url: Option<String>,
    },
    /// A Git sync blocker on a stack (no event exists for these: only the poller sees them).
    /// `CreatedReason` and the contexts are opaque service text, kept verbatim.
    Blocker {
        id: BlockerId,
        status: BlockerStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        contexts: Vec<BlockerContext>,
        created_at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resolved_reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resolved_at: Option<DateTime<Utc>>,
    },
    /// What the auto-resolver decided about a blocker (every decision is recorded: the audit).
    BlockerDecision {
        blocker: BlockerId,
        /// `resolve`, `skip` or `escalate`.
        decision: Recorded<DecisionKind>,
        /// The policy rule that decided.
        rule: String,
        why: String,
        /// `off`, `dry-run` or `enforce`.
        mode: Recorded<Mode>,
        /// What happened: `resolved`, `already-resolved`, `dry-run`, `not-acted`, `failed: …`.
        outcome: Recorded<ActionOutcome>,
        /// Who asked: `event` (the poller's announcement) or the operator's reason.
        requested_by: String,
    },
    /// Whether the poller may read a target: an `AccessDenied` answer is a permanent failure
    /// of that target until the role is fixed, which a later read shows (`denied: false`).
    Access {
        denied: bool,
        /// The IAM action the role lacks (or lacked), e.g. `codeconnections:GetSyncBlockerSummary`.
        action: String,
        /// What the action was called on (a stack, a pipeline, a repository link).
        subject: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// A CodeConnections connection's status.
    Connection {
        status: ConnectionStatus,
        arn: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<String>,
    },
}

/// One `Contexts` entry of a sync blocker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockerContext {
    pub key: String,
    pub value: String,
}

/// The part of a resource's state an observation speaks for.
///
/// A stack has several (its Git sync, its CloudFormation status, each of its blockers); the
/// current state keeps the newest observation of each, and the resource's health is the worst
/// of them. Stage and action events belong to no facet: they are history (the detail behind a
/// pipeline's state).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Facet {
    GitSync,
    Stack,
    Pipeline,
    Blocker(BlockerId),
    /// The auto-resolver's latest decision about one blocker.
    Decision(BlockerId),
    Connection,
    /// Whether the poller may read the resource.
    Access,
}

impl fmt::Display for Facet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Facet::GitSync => f.write_str("git_sync"),
            Facet::Stack => f.write_str("stack"),
            Facet::Pipeline => f.write_str("pipeline"),
            Facet::Blocker(id) => write!(f, "blocker:{id}"),
            Facet::Decision(id) => write!(f, "decision:{id}"),
            Facet::Connection => f.write_str("connection"),
            Facet::Access => f.write_str("access"),
        }
    }
}

impl std::str::FromStr for Facet {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value {
            "git_sync" => Ok(Facet::GitSync),
            "stack" => Ok(Facet::Stack),
            "pipeline" => Ok(Facet::Pipeline),
            "connection" => Ok(Facet::Connection),
            "access" => Ok(Facet::Access),
            other => {
                if let Some(id) = other.strip_prefix("blocker:") {
                    BlockerId::new(id).map(Facet::Blocker).map_err(|e| e.to_string())
                } else if let Some(id) = other.strip_prefix("decision:") {
                    BlockerId::new(id).map(Facet::Decision).map_err(|e| e.to_string())
                } else {
                    Err(format!("unknown facet `{other}`"))
                }
            }
        }
    }
}

// Facets are map keys in the stored state, so they travel as strings.
impl Serialize for Facet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Facet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        value.parse().map_err(serde::de::Error::custom)
    }
}

impl Change {
    /// The facet this change updates, or `None` for history-only detail.
    pub fn facet(&self) -> Option<Facet> {
        match self {
            Change::GitSync { .. } => Some(Facet::GitSync),
            Change::Stack { .. } => Some(Facet::Stack),
            Change::PipelineExecution { .. } => Some(Facet::Pipeline),
            Change::Blocker { id, .. } => Some(Facet::Blocker(id.clone())),
            Change::BlockerDecision { blocker, .. } => Some(Facet::Decision(blocker.clone())),
            Change::Connection { .. } => Some(Facet::Connection),
            Change::Access { .. } => Some(Facet::Access),
            Change::PipelineStage { .. } | Change::PipelineAction { .. } => None,
        }
    }

    /// The status as AWS spelled it.
    pub fn status(&self) -> &str {
        match self {
            Change::GitSync { status, .. } => status.as_str(),
            Change::Stack { status, .. } => status.as_str(),
            Change::PipelineExecution { state, .. }
            | Change::PipelineStage { state, .. }
            | Change::PipelineAction { state, .. } => state.as_str(),
            Change::Blocker { status, .. } => status.as_str(),
            Change::BlockerDecision { decision: Recorded::Known(kind), .. } => kind.as_str(),
            Change::BlockerDecision { decision: Recorded::Unknown(text), .. } => text,
            Change::Connection { status, .. } => status.as_str(),
            Change::Access { denied: true, .. } => "ACCESS_DENIED",
            Change::Access { denied: false, .. } => "ACCESS_RESTORED",
        }
    }

    /// What the change says about the resource.
    pub fn health(&self) -> Health {
        match self {
            // A sync running far longer than any sync should is a failure someone must see.
            Change::GitSync { stuck_since: Some(_), .. } => Health::Failing,
            Change::GitSync { status, .. } => status.health(),
            Change::Stack { status, .. } => status.health(),
            Change::PipelineExecution { state, .. }
            | Change::PipelineStage { state, .. }
            | Change::PipelineAction { state, .. } => state.health(),
            Change::Blocker { status, .. } => status.health(),
            // An escalation means the policy gave up: a person must act.
            Change::BlockerDecision {
                decision: Recorded::Known(DecisionKind::Escalate), ..
            } => Health::Failing,
            Change::BlockerDecision { .. } => Health::Healthy,
            Change::Connection { status, .. } => status.health(),
            // Nothing about the resource is known while it cannot be read: a person must act.
            Change::Access { denied: true, .. } => Health::Failing,
            Change::Access { denied: false, .. } => Health::Healthy,
        }
    }

    fn lifecycle_rank(&self) -> u8 {
        match self {
            Change::GitSync { status, .. } => status.lifecycle_rank(),
            Change::Stack { status, .. } => status.lifecycle_rank(),
            Change::PipelineExecution { state, .. }
            | Change::PipelineStage { state, .. }
            | Change::PipelineAction { state, .. } => state.lifecycle_rank(),
            Change::Blocker { status, .. } => status.lifecycle_rank(),
            Change::BlockerDecision { .. } => 4,
            Change::Connection { status, .. } => status.lifecycle_rank(),
            Change::Access { .. } => 4,
        }
    }

    /// A one-line description: `git sync FAILED`, `stage Deploy FAILED`, ….
    pub fn label(&self) -> String {
        match self {
            Change::GitSync { status, stuck_since: Some(_), .. } => {
                format!("git sync {status} (stuck)")
            }
            Change::GitSync { status, .. } => format!("git sync {status}"),
            Change::Stack { status, .. } => format!("stack {status}"),
            Change::PipelineExecution { state, .. } => format!("execution {state}"),
            Change::PipelineStage { state, stage, .. } => format!("stage {stage} {state}"),
            Change::PipelineAction { state, stage, action, .. } => {
                format!("action {stage}/{action} {state}")
            }
            Change::Blocker { id, status, .. } => format!("blocker {id} {status}"),
            Change::BlockerDecision { blocker, decision, mode, outcome, .. } => {
                format!("auto-resolve {decision} blocker {blocker} ({mode}: {outcome})")
            }
            Change::Connection { status, .. } => format!("connection {status}"),
            Change::Access { denied: true, action, .. } => format!("access denied: {action}"),
            Change::Access { denied: false, action, .. } => format!("access restored: {action}"),
        }
    }

    /// The most useful extra words for a person: a failure reason, an error, a trigger.
    pub fn note(&self) -> Option<String> {
        match self {
            Change::GitSync { stuck_since: Some(since), .. } => {
                Some(format!("running since {}", since.to_rfc3339_opts(SecondsFormat::Secs, true)))
            }
            Change::GitSync { previous, .. } => previous.as_ref().map(|p| format!("was {p}")),
            Change::Stack { reason, .. } => reason.clone(),
            Change::PipelineExecution { failure, commit_message, trigger, .. } => {
                failure.clone().or_else(|| commit_message.clone()).or_else(|| trigger.clone())
            }
            Change::PipelineStage { .. } => None,
            Change::PipelineAction { error_code, summary, .. } => match (error_code, summary) {
                (Some(code), Some(summary)) => Some(format!("{code}: {summary}")),
                (code, summary) => code.clone().or_else(|| summary.clone()),
            },
            Change::Blocker { status: BlockerStatus::Resolved, resolved_reason, .. } => {
                resolved_reason.clone()
            }
            Change::Blocker { reason, contexts, .. } => {
                let contexts: Vec<String> =
                    contexts.iter().map(|c| format!("{}={}", c.key, c.value)).collect();
                match (reason, contexts.is_empty()) {
                    (Some(reason), true) => Some(reason.clone()),
                    (Some(reason), false) => Some(format!("{reason} ({})", contexts.join(", "))),
                    (None, false) => Some(contexts.join(", ")),
                    (None, true) => None,
                }
            }
            Change::BlockerDecision { rule, why, requested_by, .. } => {
                Some(format!("rule {rule}: {why} (requested by {requested_by})"))
            }
            Change::Connection { name, .. } => name.clone(),
            Change::Access { denied: true, action, subject, .. } => Some(format!(
                "the poller's role may not call {action} on {subject}: grant it, or stop \
                 watching this resource"
            )),
            Change::Access { message, .. } => message.clone(),
        }
    }

    /// Whether `polled` says what this change already says, so a poll that finds it has
    /// nothing to record. Detail that only one source carries (a previous status, a reason)
    /// does not count; the status, its subject (execution, blocker) and the stuck flag do.
    pub fn confirms(&self, polled: &Change) -> bool {
        match (self, polled) {
            (
                Change::GitSync { status: a, stuck_since: sa, .. },
                Change::GitSync { status: b, stuck_since: sb, .. },
            ) => a == b && sa.is_some() == sb.is_some(),
            (Change::Stack { status: a, .. }, Change::Stack { status: b, .. }) => a == b,
            (
                Change::PipelineExecution { state: a, execution_id: ea, .. },
                Change::PipelineExecution { state: b, execution_id: eb, .. },
            ) => a == b && ea == eb,
            (
                Change::Blocker { id: ia, status: a, .. },
                Change::Blocker { id: ib, status: b, .. },
            ) => ia == ib && a == b,
            (Change::Connection { status: a, .. }, Change::Connection { status: b, .. }) => a == b,
            (
                Change::Access { denied: a, action: x, .. },
                Change::Access { denied: b, action: y, .. },
            ) => a == b && x == y,
            _ => false,
        }
    }
}

impl Observation {
    /// An observation of `change` to `resource`, with none of the optional context (commit,
    /// branch, repository, account, region): the one way every source starts one.
    pub fn new(
        resource: ResourceId,
        at: DateTime<Utc>,
        event_id: EventId,
        observed_by: ObservedBy,
        change: Change,
    ) -> Self {
        Observation {
            resource,
            at,
            event_id,
            observed_by,
            change,
            commit: None,
            branch: None,
            repository: None,
            account: None,
            region: None,
        }
    }

    /// This observation's place in its resource's order (see [`OrderKey`]).
    pub fn order_key(&self) -> OrderKey {
        OrderKey::new(self.at, self.change.lifecycle_rank(), &self.event_id)
    }

    /// Whether a polled observation adds nothing to this one: same change, and no commit
    /// that differs (a poll that cannot see the commit does not contradict one).
    pub fn confirmed_by(&self, polled: &Observation) -> bool {
        self.change.confirms(&polled.change)
            && (polled.commit.is_none() || polled.commit == self.commit)
    }
}

/// The total order of a resource's observations: event time, then lifecycle rank, then event id.
///
/// Rules, so a late or redelivered event never moves a resource backwards:
/// 1. a later event time wins (EventBridge `time`, one-second resolution);
/// 2. within one second, the status further along its lifecycle wins (`IN_PROGRESS` after
///    `INITIATED`, a terminal status after both);
/// 3. within that, the greater event id wins — arbitrary but total, so every replica and every
///    replay order picks the same winner;
/// 4. the same event id is the same observation: equal keys, so it changes nothing.
///
/// The key's string form sorts the same way, which is what the history's sort key uses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderKey(String);

impl OrderKey {
    fn new(at: DateTime<Utc>, rank: u8, event_id: &EventId) -> Self {
        // Fixed-width time (always milliseconds, always `Z`) keeps string order = time order.
        let time = at.to_rfc3339_opts(SecondsFormat::Millis, true);
        OrderKey(format!("{time}#{rank}#{event_id}"))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
