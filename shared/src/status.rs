//! The status sets AWS reports, and what each status means for a resource's health.
//!
//! Every set has an `Unknown(String)` arm: a value AWS adds later is kept verbatim and treated
//! as "in flight", never as an error.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

string_enum! {
    /// Git sync status of a resource (stack) or a repository branch
    /// (`ResourceSyncStatus` / `RepositorySyncStatus`; only repositories use `QUEUED`).
    ///
    /// The API reference documents `ResourceSyncAttempt.Status` as `SYNC-INITIATED | SYNCING |
    /// SYNCED | SYNC_FAILED` while the model's enum says `INITIATED | IN_PROGRESS | SUCCEEDED |
    /// FAILED`: both spellings parse to the same status, stored in the model's spelling.
    pub enum SyncStatus {
        Queued = "QUEUED",
        Initiated = "INITIATED" | "SYNC-INITIATED",
        InProgress = "IN_PROGRESS" | "SYNCING",
        Succeeded = "SUCCEEDED" | "SYNCED",
        Failed = "FAILED" | "SYNC_FAILED",
    }
}

string_enum! {
    /// CloudFormation `StackStatus`.
    pub enum StackStatus {
        CreateInProgress = "CREATE_IN_PROGRESS",
        CreateFailed = "CREATE_FAILED",
        CreateComplete = "CREATE_COMPLETE",
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        RollbackFailed = "ROLLBACK_FAILED",
        RollbackComplete = "ROLLBACK_COMPLETE",
        DeleteInProgress = "DELETE_IN_PROGRESS",
        DeleteFailed = "DELETE_FAILED",
        DeleteComplete = "DELETE_COMPLETE",
        UpdateInProgress = "UPDATE_IN_PROGRESS",
        UpdateCompleteCleanupInProgress = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        UpdateComplete = "UPDATE_COMPLETE",
        UpdateFailed = "UPDATE_FAILED",
        UpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS",
        UpdateRollbackFailed = "UPDATE_ROLLBACK_FAILED",
        UpdateRollbackCompleteCleanupInProgress = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE",
        ReviewInProgress = "REVIEW_IN_PROGRESS",
        ImportInProgress = "IMPORT_IN_PROGRESS",
        ImportComplete = "IMPORT_COMPLETE",
        ImportRollbackInProgress = "IMPORT_ROLLBACK_IN_PROGRESS",
        ImportRollbackFailed = "IMPORT_ROLLBACK_FAILED",
        ImportRollbackComplete = "IMPORT_ROLLBACK_COMPLETE",
    }
}

string_enum! {
    /// CodePipeline execution state, as events spell it (upper case; the API uses `Failed`,
    /// see [`PipelineState::from_api`]).
    pub enum PipelineState {
        Started = "STARTED",
        /// Only the API reports this (`InProgress`); events say STARTED, then an outcome.
        InProgress = "IN_PROGRESS",
        Resumed = "RESUMED",
        Stopping = "STOPPING",
        Succeeded = "SUCCEEDED",
        Failed = "FAILED",
        Canceled = "CANCELED",
        Stopped = "STOPPED",
        Superseded = "SUPERSEDED",
        Abandoned = "ABANDONED",
    }
}

impl PipelineState {
    /// Maps the API's PascalCase execution status (`ListPipelineExecutions`) to the event
    /// spelling, so polled and event observations compare.
    pub fn from_api(status: &str) -> Self {
        match status {
            "InProgress" => PipelineState::InProgress,
            "Succeeded" => PipelineState::Succeeded,
            "Failed" => PipelineState::Failed,
            "Stopped" => PipelineState::Stopped,
            "Stopping" => PipelineState::Stopping,
            "Superseded" => PipelineState::Superseded,
            "Cancelled" => PipelineState::Canceled,
            other => PipelineState::parse(&other.to_uppercase()),
        }
    }
}

string_enum! {
    /// A Git sync blocker's status.
    pub enum BlockerStatus {
        Active = "ACTIVE",
        Resolved = "RESOLVED",
    }
}

string_enum! {
    /// A CodeConnections connection's status.
    pub enum ConnectionStatus {
        Pending = "PENDING",
        Available = "AVAILABLE",
        Error = "ERROR",
    }
}

/// How a resource is doing, derived from its statuses.
///
/// Declared from best to worst: a resource's health is the worst of its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Last outcome was good.
    Healthy,
    /// A status syncwarden does not know yet.
    Unknown,
    /// Something is running.
    InProgress,
    /// Last outcome was a failure: someone should look.
    Failing,
}

impl Health {
    /// The lowercase name used in keys and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unknown => "unknown",
            Health::InProgress => "in_progress",
            Health::Failing => "failing",
        }
    }
}

impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a status sits in one operation's life: 0 = queued/started … 4 = finished.
///
/// EventBridge times have one-second resolution, so the start and the end of a fast operation
/// often share a timestamp; this rank orders them (see [`crate::OrderKey`]).
pub trait Lifecycle {
    /// The stage of the operation this status marks, 0..=4.
    fn lifecycle_rank(&self) -> u8;
    /// What this status says about the resource.
    fn health(&self) -> Health;
}

impl Lifecycle for SyncStatus {
    fn lifecycle_rank(&self) -> u8 {
        match self {
            SyncStatus::Queued => 0,
            SyncStatus::Initiated => 1,
            SyncStatus::InProgress | SyncStatus::Unknown(_) => 2,
            SyncStatus::Succeeded | SyncStatus::Failed => 4,
        }
    }

    fn health(&self) -> Health {
        match self {
            SyncStatus::Succeeded => Health::Healthy,
            SyncStatus::Failed => Health::Failing,
            SyncStatus::Queued | SyncStatus::Initiated | SyncStatus::InProgress => {
                Health::InProgress
            }
            SyncStatus::Unknown(_) => Health::Unknown,
        }
    }
}

impl Lifecycle for StackStatus {
    fn lifecycle_rank(&self) -> u8 {
        use StackStatus::*;
        match self {
            ReviewInProgress => 0,
            CreateInProgress | UpdateInProgress | ImportInProgress | DeleteInProgress => 1,
            UpdateCompleteCleanupInProgress
            | RollbackInProgress
            | UpdateRollbackInProgress
            | ImportRollbackInProgress
            | Unknown(_) => 2,
            UpdateRollbackCompleteCleanupInProgress => 3,
            CreateFailed
            | CreateComplete
            | RollbackFailed
            | RollbackComplete
            | DeleteFailed
            | DeleteComplete
            | UpdateComplete
            | UpdateFailed
            | UpdateRollbackFailed
            | UpdateRollbackComplete
            | ImportComplete
            | ImportRollbackFailed
            | ImportRollbackComplete => 4,
        }
    }

    /// A rollback that completed is still a failed deployment: the commit did not land.
    fn health(&self) -> Health {
        use StackStatus::*;
        match self {
            CreateComplete | UpdateComplete | ImportComplete => Health::Healthy,
            CreateFailed
            | RollbackFailed
            | RollbackComplete
            | DeleteFailed
            | DeleteComplete
            | UpdateFailed
            | UpdateRollbackFailed
            | UpdateRollbackComplete
            | ImportRollbackFailed
            | ImportRollbackComplete => Health::Failing,
            ReviewInProgress
            | CreateInProgress
            | UpdateInProgress
            | ImportInProgress
            | DeleteInProgress
            | UpdateCompleteCleanupInProgress
            | RollbackInProgress
            | UpdateRollbackInProgress
            | ImportRollbackInProgress
            | UpdateRollbackCompleteCleanupInProgress => Health::InProgress,
            Unknown(_) => Health::Unknown,
        }
    }
}

impl Lifecycle for PipelineState {
    fn lifecycle_rank(&self) -> u8 {
        match self {
            PipelineState::Started => 0,
            PipelineState::Resumed | PipelineState::InProgress => 1,
            PipelineState::Stopping | PipelineState::Unknown(_) => 2,
            PipelineState::Succeeded
            | PipelineState::Failed
            | PipelineState::Canceled
            | PipelineState::Stopped
            | PipelineState::Superseded
            | PipelineState::Abandoned => 4,
        }
    }

    /// Stopped, cancelled and superseded runs were ended on purpose: not a failure, and not a
    /// success either, so they leave the pipeline "healthy" only if nothing else says otherwise.
    fn health(&self) -> Health {
        match self {
            PipelineState::Succeeded
            | PipelineState::Canceled
            | PipelineState::Stopped
            | PipelineState::Superseded
            | PipelineState::Abandoned => Health::Healthy,
            PipelineState::Failed => Health::Failing,
            PipelineState::Started
            | PipelineState::InProgress
            | PipelineState::Resumed
            | PipelineState::Stopping => Health::InProgress,
            PipelineState::Unknown(_) => Health::Unknown,
        }
    }
}

impl Lifecycle for BlockerStatus {
    fn lifecycle_rank(&self) -> u8 {
        match self {
            BlockerStatus::Active => 1,
            BlockerStatus::Resolved => 4,
            BlockerStatus::Unknown(_) => 2,
        }
    }

    /// An active blocker stops every later commit from deploying: someone must act.
    fn health(&self) -> Health {
        match self {
            BlockerStatus::Active => Health::Failing,
            BlockerStatus::Resolved => Health::Healthy,
            BlockerStatus::Unknown(_) => Health::Unknown,
        }
    }
}

impl Lifecycle for ConnectionStatus {
    fn lifecycle_rank(&self) -> u8 {
        match self {
            ConnectionStatus::Pending => 1,
            ConnectionStatus::Unknown(_) => 2,
            ConnectionStatus::Available | ConnectionStatus::Error => 4,
        }
    }

    /// Git sync needs an AVAILABLE connection; PENDING (handshake never finished) and ERROR
    /// both stop every sync that uses it.
    fn health(&self) -> Health {
        match self {
            ConnectionStatus::Available => Health::Healthy,
            ConnectionStatus::Pending | ConnectionStatus::Error => Health::Failing,
            ConnectionStatus::Unknown(_) => Health::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_and_new_ones_are_kept() {
        for status in StackStatus::KNOWN {
            assert_eq!(&StackStatus::parse(status.as_str()), status);
        }
        let new = SyncStatus::parse("PAUSED");
        assert_eq!(new, SyncStatus::Unknown("PAUSED".into()));
        assert_eq!(new.to_string(), "PAUSED");
        assert_eq!(new.health(), Health::Unknown);
        let json: PipelineState = serde_json::from_str("\"ROLLED_BACK\"").unwrap();
        assert_eq!(json, PipelineState::Unknown("ROLLED_BACK".into()));
    }

    #[test]
    fn the_documented_alias_statuses_mean_the_model_statuses() {
        for (alias, status) in [
            ("SYNC-INITIATED", SyncStatus::Initiated),
            ("SYNCING", SyncStatus::InProgress),
            ("SYNCED", SyncStatus::Succeeded),
            ("SYNC_FAILED", SyncStatus::Failed),
        ] {
            let parsed: SyncStatus = serde_json::from_str(&format!("\"{alias}\"")).unwrap();
            assert_eq!(parsed, status, "{alias}");
            // Stored and shown in the model's spelling, so history reads one way.
            assert_ne!(parsed.as_str(), alias);
        }
    }

    #[test]
    fn every_stack_status_is_classified_as_the_user_guide_says() {
        for status in StackStatus::KNOWN {
            let name = status.as_str();
            let expected = if name.ends_with("_IN_PROGRESS") {
                Health::InProgress
            } else if name.ends_with("_FAILED")
                || name.contains("ROLLBACK")
                || name == "DELETE_COMPLETE"
            {
                Health::Failing
            } else {
                Health::Healthy
            };
            assert_eq!(status.health(), expected, "{name}");
            assert_eq!(status.lifecycle_rank() == 4, !name.ends_with("_IN_PROGRESS"), "{name}");
        }
    }

    #[test]
    fn worst_health_wins() {
        assert_eq!(Health::Healthy.max(Health::Failing), Health::Failing);
        assert_eq!(Health::InProgress.max(Health::Unknown), Health::InProgress);
    }
}
