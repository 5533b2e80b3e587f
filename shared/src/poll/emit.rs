//! "Sync Blocker Detected": the event the poller puts on syncwarden's bus when it records a
//! new ACTIVE blocker, for the auto-resolver to act on. (The notifier hears of the blocker the
//! way it hears of every change: through the table's stream.)

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::control_plane::ApiError;
use crate::observation::{BlockerContext, Change, Observation};
use crate::reconcile::ResourceState;

/// The event's `source`.
pub const SOURCE: &str = "syncwarden.poller";
/// The event's `detail-type`.
pub const DETAIL_TYPE: &str = "Sync Blocker Detected";

/// The event's `detail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockerDetected {
    pub stack: String,
    pub blocker_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contexts: Vec<BlockerContext>,
    pub created_at: DateTime<Utc>,
    /// What the stack's Git sync knew when the blocker was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
}

impl BlockerDetected {
    /// The event for a blocker observation, with the stack's context from its state.
    pub fn from_observation(
        observation: &Observation,
        state: Option<&ResourceState>,
    ) -> Option<Self> {
        let Change::Blocker { id, reason, contexts, created_at, .. } = &observation.change else {
            return None;
        };
        let crate::ids::ResourceId::Stack(stack) = &observation.resource else {
            return None;
        };
        Some(BlockerDetected {
            stack: stack.to_string(),
            blocker_id: id.to_string(),
            reason: reason.clone(),
            contexts: contexts.clone(),
            created_at: *created_at,
            commit: state.and_then(|s| s.commit()).map(ToString::to_string),
            branch: state.and_then(|s| s.branch()).map(ToString::to_string),
            repository: state.and_then(|s| s.repository()).map(str::to_owned),
        })
    }
}

/// Puts events on the syncwarden bus. Built once per container.
#[derive(Debug, Clone)]
pub struct BlockerEmitter {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl BlockerEmitter {
    /// An emitter onto `bus` (name or ARN).
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> Self {
        BlockerEmitter { client, bus: bus.into() }
    }

    /// Puts one "Sync Blocker Detected" event; a rejected entry is an error.
    pub async fn emit(&self, detail: &BlockerDetected) -> Result<(), ApiError> {
        let subject = format!("{}/{}", detail.stack, detail.blocker_id);
        let json = serde_json::to_string(detail).map_err(|e| ApiError {
            operation: "PutEvents",
            subject: subject.clone(),
            code: None,
            message: e.to_string(),
        })?;
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(DETAIL_TYPE)
            .detail(json)
            .build();
        let output = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| ApiError::new("PutEvents", subject.clone(), e))?;
        match output.entries().first() {
            Some(rejected) if rejected.error_code().is_some() => Err(ApiError {
                operation: "PutEvents",
                subject,
                code: rejected.error_code().map(str::to_owned),
                message: rejected.error_message().unwrap_or("entry rejected").to_owned(),
            }),
            _ => Ok(()),
        }
    }
}
