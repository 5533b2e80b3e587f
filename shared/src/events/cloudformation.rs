//! `aws.cloudformation` CloudFormation Stack Status Change.

use serde::Deserialize;

use super::{Envelope, EventError, arn_segment, lenient, trim_text};
use crate::ids::{ResourceId, StackName};
use crate::observation::{Change, Observation};
use crate::status::StackStatus;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct StackDetail {
    stack_id: Option<String>,
    status_details: Option<StatusDetails>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct StatusDetails {
    status: Option<StackStatus>,
    #[serde(default, deserialize_with = "lenient::text")]
    status_reason: Option<String>,
}

/// The stack is correlated with its Git sync by name (the segment after `stack/`).
pub(super) fn stack(envelope: &Envelope, detail: StackDetail) -> Result<Observation, EventError> {
    let stack_id = detail
        .stack_id
        .filter(|id| !id.is_empty())
        .or_else(|| envelope.resources.first().cloned())
        .ok_or_else(|| envelope.error("detail.stack-id", "missing (and no resources[0])"))?;
    let name = arn_segment(&stack_id, ":stack/").ok_or_else(|| {
        envelope.error("detail.stack-id", format!("`{stack_id}` is not a stack ARN"))
    })?;
    let stack = StackName::new(name).map_err(|e| envelope.invalid("detail.stack-id", e))?;
    let details =
        detail.status_details.ok_or_else(|| envelope.error("detail.status-details", "missing"))?;
    let status =
        details.status.ok_or_else(|| envelope.error("detail.status-details.status", "missing"))?;
    let change = Change::Stack {
        status,
        reason: trim_text(details.status_reason, 1000),
        stack_id: Some(stack_id),
    };
    Ok(envelope.observe(ResourceId::Stack(stack), change))
}
