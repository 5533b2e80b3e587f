//! The event handlers' design sentence: parse the event, record the observation, say what
//! happened.

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::events::{EventError, EventFamily, Ignored, Parsed, parse_event};
use crate::ids::ResourceId;
use crate::lambda::{self, Failure};
use crate::status::Health;
use crate::store::{Appended, HistoryStore, RecordOutcome, StateWrite, StoreError};

/// Why an event was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The event is malformed or not ours: retrying cannot help; it is kept by the DLQ.
    #[error(transparent)]
    Event(#[from] EventError),
    /// The store failed: retry.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RecordError {
    /// Whether a retry of the same event could succeed: not for a malformed event or a corrupt
    /// record, yes for a store that failed.
    pub fn is_retryable(&self) -> bool {
        match self {
            RecordError::Event(_) => false,
            RecordError::Store(error) => error.is_retryable(),
        }
    }
}

impl Failure for RecordError {
    fn is_retryable(&self) -> bool {
        RecordError::is_retryable(self)
    }

    fn kind(&self) -> &'static str {
        match self {
            RecordError::Event(EventError::NotAnEvent { .. }) => "NotAnEvent",
            RecordError::Event(_) => "MalformedEvent",
            RecordError::Store(error) => error.kind(),
        }
    }
}

impl From<RecordError> for Diagnostic {
    fn from(error: RecordError) -> Diagnostic {
        lambda::diagnostic(&error)
    }
}

/// What handling one event did: the function's response, and a line of `replay` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The event was recorded (or found already recorded).
    Recorded(Recorded),
    /// The event is well formed but not one this function records; nothing was written.
    Ignored(Ignored),
}

impl Outcome {
    /// What was recorded, if the event was recorded.
    pub fn recorded(&self) -> Option<&Recorded> {
        match self {
            Outcome::Recorded(recorded) => Some(recorded),
            Outcome::Ignored(_) => None,
        }
    }
}

/// What recording one event wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub event_id: String,
    pub resource: ResourceId,
    pub status: String,
    pub history: Appended,
    pub state: StateWrite,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
}

/// Records the event families it accepts into the history store.
#[derive(Debug, Clone)]
pub struct Recorder {
    store: HistoryStore,
    accepted: &'static [EventFamily],
}

impl Recorder {
    /// A recorder for `accepted` events into `store`.
    pub fn new(store: HistoryStore, accepted: &'static [EventFamily]) -> Self {
        Recorder { store, accepted }
    }

    /// Parses and records one raw EventBridge event; one that is not ours writes nothing.
    pub async fn record(&self, event: &[u8]) -> Result<Outcome, RecordError> {
        let observation = match parse_event(event, self.accepted)? {
            Parsed::Observed(observation) => observation,
            Parsed::Ignored(ignored) => return Ok(Outcome::Ignored(ignored)),
        };
        let RecordOutcome { history, state, health } = self.store.record(&observation).await?;
        Ok(Outcome::Recorded(Recorded {
            event_id: observation.event_id.to_string(),
            resource: observation.resource,
            status: observation.change.label(),
            history,
            state,
            health,
        }))
    }

    /// The Lambda handler: record, log the outcome with its fields, map errors to diagnostics.
    pub async fn handle(&self, event: LambdaEvent<Box<RawValue>>) -> Result<Outcome, RecordError> {
        let request_id = event.context.request_id;
        match self.record(event.payload.get().as_bytes()).await {
            Ok(Outcome::Ignored(ignored)) => {
                tracing::info!(
                    event_id = ignored.event_id.as_deref().unwrap_or_default(),
                    source = %ignored.source,
                    detail_type = %ignored.detail_type,
                    reason = %ignored.reason,
                    "ignored"
                );
                Ok(Outcome::Ignored(ignored))
            }
            Ok(Outcome::Recorded(outcome)) => {
                tracing::info!(
                    event_id = %outcome.event_id,
                    resource = %outcome.resource,
                    status = %outcome.status,
                    history = ?outcome.history,
                    state = ?outcome.state,
                    health = ?outcome.health,
                    "recorded"
                );
                Ok(Outcome::Recorded(outcome))
            }
            Err(error) => {
                // The payload is not logged: it is kept whole by the on-failure destination.
                tracing::error!(
                    request_id = %request_id,
                    retryable = error.is_retryable(),
                    error = %error,
                    "event not recorded"
                );
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_retryable` and the Diagnostic's prefix say the same of every kind of failure.
    #[test]
    fn retryability_and_the_diagnostic_agree() {
        let corrupt =
            || StoreError::Corrupt { table: "t".into(), key: "k".into(), message: "m".into() };
        let cases = [
            (RecordError::Event(parse_event(b"not json", EventFamily::ALL).unwrap_err()), false),
            (RecordError::Store(corrupt()), false),
            (
                RecordError::Store(StoreError::Contention { resource: "r".into(), attempts: 3 }),
                true,
            ),
        ];
        for (error, retryable) in cases {
            assert_eq!(error.is_retryable(), retryable, "{error}");
            let prefix = if retryable { "Retryable." } else { "NonRetryable." };
            let diagnostic = Diagnostic::from(error);
            assert!(diagnostic.error_type.starts_with(prefix), "{}", diagnostic.error_type);
        }
        assert_eq!(
            Diagnostic::from(RecordError::Store(corrupt())).error_type,
            "NonRetryable.CorruptRecord"
        );
    }
}
