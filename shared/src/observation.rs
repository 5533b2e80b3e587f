//! The normalised observation: one thing that happened to one resource, whatever its source.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{Branch, CommitSha, EventId, ExecutionId, ResourceId};
use crate::status::{Health, Lifecycle, PipelineState, StackStatus, SyncStatus};

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
    pub commit: Option<CommitSha>,
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
    },
    /// One stage of a pipeline execution.
    PipelineStage {
        state: PipelineState,
        execution_id: ExecutionId,
        stage: String,
    },
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
}

/// The part of a resource's state an observation speaks for.
///
/// A stack has two (its Git sync and its CloudFormation status); the current state keeps the
/// newest observation of each, and the resource's health is the worst of them. Stage and action
/// events belong to no facet: they are history (the detail behind a pipeline's state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    GitSync,
    Stack,
    Pipeline,
}

impl Change {
    /// The facet this change updates, or `None` for history-only detail.
    pub fn facet(&self) -> Option<Facet> {
        match self {
            Change::GitSync { .. } => Some(Facet::GitSync),
            Change::Stack { .. } => Some(Facet::Stack),
            Change::PipelineExecution { .. } => Some(Facet::Pipeline),
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
        }
    }

    /// What the change says about the resource.
    pub fn health(&self) -> Health {
        match self {
            Change::GitSync { status, .. } => status.health(),
            Change::Stack { status, .. } => status.health(),
            Change::PipelineExecution { state, .. }
            | Change::PipelineStage { state, .. }
            | Change::PipelineAction { state, .. } => state.health(),
        }
    }

    fn lifecycle_rank(&self) -> u8 {
        match self {
            Change::GitSync { status, .. } => status.lifecycle_rank(),
            Change::Stack { status, .. } => status.lifecycle_rank(),
            Change::PipelineExecution { state, .. }
            | Change::PipelineStage { state, .. }
            | Change::PipelineAction { state, .. } => state.lifecycle_rank(),
        }
    }

    /// A one-line description: `git sync FAILED`, `stage Deploy FAILED`, ….
    pub fn label(&self) -> String {
        match self {
            Change::GitSync { status, .. } => format!("git sync {status}"),
            Change::Stack { status, .. } => format!("stack {status}"),
            Change::PipelineExecution { state, .. } => format!("execution {state}"),
            Change::PipelineStage { state, stage, .. } => format!("stage {stage} {state}"),
            Change::PipelineAction {
                state,
                stage,
                action,
                ..
            } => {
                format!("action {stage}/{action} {state}")
            }
        }
    }

    /// The most useful extra words for a person: a failure reason, an error, a trigger.
    pub fn note(&self) -> Option<String> {
        match self {
            Change::GitSync { previous, .. } => previous.as_ref().map(|p| format!("was {p}")),
            Change::Stack { reason, .. } => reason.clone(),
            Change::PipelineExecution {
                commit_message,
                trigger,
                ..
            } => commit_message.clone().or_else(|| trigger.clone()),
            Change::PipelineStage { .. } => None,
            Change::PipelineAction {
                error_code,
                summary,
                ..
            } => match (error_code, summary) {
                (Some(code), Some(summary)) => Some(format!("{code}: {summary}")),
                (code, summary) => code.clone().or_else(|| summary.clone()),
            },
        }
    }
}

impl Observation {
    /// This observation's place in its resource's order (see [`OrderKey`]).
    pub fn order_key(&self) -> OrderKey {
        OrderKey::new(self.at, self.change.lifecycle_rank(), &self.event_id)
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
