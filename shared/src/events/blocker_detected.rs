//! "Sync Blocker Detected": the event the poller puts on syncwarden's bus when it records a
//! new ACTIVE blocker, for the auto-resolver to act on. (The notifier hears of the blocker the
//! way it hears of every change: through the table's stream.) This is the event's wire shape,
//! pure; [`crate::clients::eventbridge`] puts it on the bus.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::ResourceId;
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
        let ResourceId::Stack(stack) = &observation.resource else {
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
