//! EventBridge: puts "Sync Blocker Detected" ([`BlockerDetected`]) on syncwarden's bus.

use crate::clients::ApiError;
use crate::events::blocker_detected::{BlockerDetected, DETAIL_TYPE, SOURCE};

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
