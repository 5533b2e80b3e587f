//! EventBridge JSON → [`Observation`]: the pure edge where raw events become typed data.
//!
//! The envelope is `aws_lambda_events`' [`EventBridgeEvent`] with the detail kept raw, so the
//! detail is parsed once, straight into the struct its `detail-type` calls for. Errors carry the
//! JSON path of the offending field (via `serde_path_to_error`).

mod cloudformation;
mod codepipeline;
mod git_sync;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::ids::{EventId, IdError};
use crate::observation::{Observation, ObservedBy};

/// The event families syncwarden understands; each function accepts a subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFamily {
    /// `aws.codeconnections`: Git Sync Resource / Repository Sync Status Change.
    GitSync,
    /// `aws.cloudformation`: CloudFormation Stack Status Change.
    CloudFormationStack,
    /// `aws.codepipeline`: Pipeline, Stage and Action Execution State Change.
    CodePipeline,
}

impl EventFamily {
    /// Every family (what `syncwarden replay` accepts).
    pub const ALL: &'static [EventFamily] =
        &[EventFamily::GitSync, EventFamily::CloudFormationStack, EventFamily::CodePipeline];

    fn describe(self) -> &'static str {
        match self {
            EventFamily::GitSync => "aws.codeconnections Git sync status changes",
            EventFamily::CloudFormationStack => "aws.cloudformation stack status changes",
            EventFamily::CodePipeline => "aws.codepipeline execution state changes",
        }
    }
}

/// Why an event could not be turned into an observation. None of these is worth a retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("event is not a valid EventBridge envelope: {path}: {message}")]
    Envelope { path: String, message: String },
    #[error(
        "unsupported event: source `{event_source}` with detail-type `{detail_type}` (this handler \
         takes {accepted})"
    )]
    Unsupported { event_source: String, detail_type: String, accepted: String },
    #[error("`{detail_type}` event {event_id}: {path}: {message}")]
    Detail { detail_type: String, event_id: String, path: String, message: String },
}

/// One routed event: its family and the detail type's canonical name.
enum Route {
    GitSyncResource,
    GitSyncRepository,
    Stack,
    Pipeline(codepipeline::Level),
}

fn route(source: &str, detail_type: &str) -> Option<(EventFamily, Route)> {
    match source {
        // AWS documents both "Git Sync …" and "GitSync …"; spaces carry no meaning here.
        "aws.codeconnections" => match detail_type.replace(' ', "").as_str() {
            "GitSyncResourceSyncStatusChange" => {
                Some((EventFamily::GitSync, Route::GitSyncResource))
            }
            "GitSyncRepositorySyncStatusChange" => {
                Some((EventFamily::GitSync, Route::GitSyncRepository))
            }
            _ => None,
        },
        "aws.cloudformation" if detail_type == "CloudFormation Stack Status Change" => {
            Some((EventFamily::CloudFormationStack, Route::Stack))
        }
        "aws.codepipeline" => codepipeline::Level::from_detail_type(detail_type)
            .map(|level| (EventFamily::CodePipeline, Route::Pipeline(level))),
        _ => None,
    }
}

/// The envelope fields every parser needs, already checked.
pub(crate) struct Envelope {
    pub event_id: EventId,
    pub detail_type: String,
    pub at: DateTime<Utc>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub resources: Vec<String>,
}

impl Envelope {
    /// A detail error that names this event.
    pub(crate) fn error(&self, path: &str, message: impl Into<String>) -> EventError {
        EventError::Detail {
            detail_type: self.detail_type.clone(),
            event_id: self.event_id.to_string(),
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// An id-validation error on a detail field.
    pub(crate) fn invalid(&self, path: &str, error: IdError) -> EventError {
        self.error(path, error.to_string())
    }

    /// An observation of this event, to be completed by the detail parser.
    pub(crate) fn observe(
        &self,
        resource: crate::ids::ResourceId,
        change: crate::observation::Change,
    ) -> Observation {
        Observation {
            resource,
            at: self.at,
            event_id: self.event_id.clone(),
            observed_by: ObservedBy::Event,
            change,
            commit: None,
            branch: None,
            repository: None,
            account: self.account.clone(),
            region: self.region.clone(),
        }
    }

    fn parse_detail<T: DeserializeOwned>(&self, detail: &RawValue) -> Result<T, EventError> {
        parse_tracked(detail.get().as_bytes()).map_err(|(path, message)| {
            let path = if path == "." { "detail".to_owned() } else { format!("detail.{path}") };
            self.error(&path, message)
        })
    }
}

/// Parses one EventBridge event (raw JSON bytes) into an observation, if it belongs to one of
/// the `accepted` families.
pub fn parse_event(bytes: &[u8], accepted: &[EventFamily]) -> Result<Observation, EventError> {
    let event: EventBridgeEvent<Box<RawValue>> =
        parse_tracked(bytes).map_err(|(path, message)| {
            let path = if path == "." { "(top level)".to_owned() } else { path };
            EventError::Envelope { path, message }
        })?;
    parse_envelope(event, accepted)
}

/// Deserializes `bytes`; on failure, the JSON path of the offending field and the message.
///
/// The path is tracked only on the error path: well-formed events are the common case and
/// need not pay for it.
fn parse_tracked<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, (String, String)> {
    serde_json::from_slice(bytes).or_else(|_| {
        let mut json = serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(&mut json)
            .map_err(|err| (err.path().to_string(), err.into_inner().to_string()))
    })
}

fn parse_envelope(
    event: EventBridgeEvent<Box<RawValue>>,
    accepted: &[EventFamily],
) -> Result<Observation, EventError> {
    let unsupported = || EventError::Unsupported {
        event_source: event.source.clone(),
        detail_type: event.detail_type.clone(),
        accepted: accepted.iter().map(|f| f.describe()).collect::<Vec<_>>().join(", "),
    };
    let (family, route) = route(&event.source, &event.detail_type).ok_or_else(unsupported)?;
    if !accepted.contains(&family) {
        return Err(unsupported());
    }
    let missing = |field: &str| EventError::Envelope {
        path: field.to_owned(),
        message: format!("missing field `{field}` (needed to order and de-duplicate events)"),
    };
    let id = event.id.as_deref().ok_or_else(|| missing("id"))?;
    let event_id = EventId::new(id)
        .map_err(|err| EventError::Envelope { path: "id".into(), message: err.to_string() })?;
    let envelope = Envelope {
        event_id,
        detail_type: event.detail_type.clone(),
        at: event.time.ok_or_else(|| missing("time"))?,
        account: event.account.clone(),
        region: event.region.clone(),
        resources: event.resources.clone().unwrap_or_default(),
    };
    match route {
        Route::GitSyncResource => {
            git_sync::resource(&envelope, envelope.parse_detail(&event.detail)?)
        }
        Route::GitSyncRepository => {
            git_sync::repository(&envelope, envelope.parse_detail(&event.detail)?)
        }
        Route::Stack => cloudformation::stack(&envelope, envelope.parse_detail(&event.detail)?),
        Route::Pipeline(level) => {
            codepipeline::execution(&envelope, level, envelope.parse_detail(&event.detail)?)
        }
    }
}

/// The resource name in an ARN after `marker` (e.g. `stack/`), up to the next `/`.
pub(crate) fn arn_segment<'a>(arn: &'a str, marker: &str) -> Option<&'a str> {
    let rest = &arn[arn.find(marker)? + marker.len()..];
    Some(rest.split('/').next().unwrap_or(rest))
}

/// Keeps free text within a size a DynamoDB item and a Slack message can carry.
pub(crate) fn trim_text(text: Option<String>, max_chars: usize) -> Option<String> {
    let text = text?;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    })
}

#[cfg(test)]
mod tests;
