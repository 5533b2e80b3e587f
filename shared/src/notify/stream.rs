//! The table's DynamoDB Stream, as the notifier reads it: state items only, in order, with
//! partial batch responses.

use std::time::Instant;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

use super::deliver::Notifier;
use crate::reconcile::ResourceState;

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
#[error("stream record {event_id}: {message}")]
pub struct StreamRecordError {
    pub event_id: String,
    pub message: String,
}

/// A state change carried by one stream record: `None` when the record is not one (a history
/// item, an incident, a deletion).
pub fn state_change(
    record: &EventRecord,
) -> Result<Option<(Option<ResourceState>, ResourceState)>, StreamRecordError> {
    let is_state =
        record.change.keys.get("sk").is_some_and(
            |sk| matches!(sk, serde_dynamo::AttributeValue::S(value) if value == "STATE"),
        );
    if !is_state || record.event_name == "REMOVE" || record.change.new_image.is_empty() {
        return Ok(None);
    }
    let error = |what: &str, e: serde_dynamo::Error| StreamRecordError {
        event_id: record.event_id.clone(),
        message: format!("{what} is not a resource state: {e}"),
    };
    let new: ResourceState = serde_dynamo::from_item(record.change.new_image.clone())
        .map_err(|e| error("NewImage", e))?;
    let old = if record.change.old_image.is_empty() {
        None
    } else {
        Some(
            serde_dynamo::from_item(record.change.old_image.clone())
                .map_err(|e| error("OldImage", e))?,
        )
    };
    Ok(Some((old, new)))
}

/// Notifies every state change of a batch, in order. At the first record that fails, it stops
/// and reports that record: Lambda retries the shard from there, so no later change of the same
/// resource overtakes it, and what already went out is skipped by the ledger.
pub async fn handle_batch(
    notifier: &Notifier,
    event: Event,
    deadline: Instant,
) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        let outcome = match state_change(record) {
            Ok(None) => continue,
            Ok(Some((old, new))) => notifier
                .notify(old.as_ref(), &new, deadline)
                .await
                .map(|delivered| (new.resource.to_string(), delivered))
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok((resource, delivered)) => {
                if let Some(notice) = &delivered.notice {
                    tracing::info!(
                        resource = %resource,
                        incident = %notice.incident_id,
                        kind = ?notice.kind,
                        event_type = notice.event_type.as_str(),
                        sent = ?delivered.sent,
                        skipped = ?delivered.skipped,
                        "notified"
                    );
                }
            }
            Err(error) => {
                tracing::error!(event_id = %record.event_id, error = %error, "notification failed; the record will be retried");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                response.batch_item_failures.push(failure);
                break;
            }
        }
    }
    response
}
