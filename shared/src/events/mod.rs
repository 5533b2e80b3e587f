//! EventBridge JSON → [`Observation`]: the pure edge where raw events become typed data.
//!
//! Liberal in what it accepts, precise in what it rejects: an event is refused only when what
//! identifies its resource and its status is missing or unusable, with the JSON path of that
//! field (via `serde_path_to_error`). Every other field is kept as sent, whatever its type
//! (`lenient`). An EventBridge event that is not ours is [`Parsed::Ignored`], not an error, so
//! an archive replay or a broad rule does not fill a DLQ; input that is not an EventBridge event
//! at all is refused with what it looks like.
//!
//! The one event syncwarden itself puts on a bus, "Sync Blocker Detected", has its wire shape in
//! [`blocker_detected`].

pub mod blocker_detected;
mod cloudformation;
mod codepipeline;
mod foreign;
mod git_sync;
mod lenient;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::Serialize;
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
    #[error("event is not valid JSON: {message}")]
    Syntax { message: String },
    #[error("not an EventBridge event: this looks like {looks_like}")]
    NotAnEvent { looks_like: String },
    #[error("event is not a valid EventBridge envelope: {path}: {message}")]
    Envelope { path: String, message: String },
    #[error("`{detail_type}` event {event_id}: {path}: {message}")]
    Detail { detail_type: String, event_id: String, path: String, message: String },
}

/// What an EventBridge event turned into.
// Returned once per event and consumed at once: boxing the observation would cost an
// allocation on every event to save stack space nobody holds.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// An event this handler records.
    Observed(Observation),
    /// A well-formed event that is not this handler's to record.
    Ignored(Ignored),
}

impl Parsed {
    /// The observation, if the event is one this handler records.
    pub fn observation(self) -> Option<Observation> {
        match self {
            Parsed::Observed(observation) => Some(observation),
            Parsed::Ignored(_) => None,
        }
    }
}

/// An event accepted and deliberately not recorded, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ignored {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    pub source: String,
    pub detail_type: String,
    pub reason: String,
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

/// The EventBridge envelope as sent. Only `source` and `detail-type` decide whether it is an
/// event at all; `id` and `time` are needed to de-duplicate and order what is recorded. The
/// rest is kept whatever its type (`version` is not read: AWS sends `"0"`, libraries `0`).
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawEvent {
    #[serde(default, deserialize_with = "lenient::text")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    detail_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    source: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    account: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    time: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    region: Option<String>,
    #[serde(default, deserialize_with = "lenient::texts")]
    resources: Vec<String>,
    #[serde(default)]
    detail: Option<Box<RawValue>>,
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
        let mut observation =
            Observation::new(resource, self.at, self.event_id.clone(), ObservedBy::Event, change);
        observation.account.clone_from(&self.account);
        observation.region.clone_from(&self.region);
        observation
    }

    fn parse_detail<T: DeserializeOwned>(&self, detail: &RawValue) -> Result<T, EventError> {
        parse_tracked(detail.get().as_bytes()).map_err(|(path, message)| {
            let path = if path == "." { "detail".to_owned() } else { format!("detail.{path}") };
            self.error(&path, message)
        })
    }
}

/// Parses one EventBridge event (raw JSON bytes): an observation if it belongs to one of the
/// `accepted` families, ignored if it is an EventBridge event that does not.
pub fn parse_event(bytes: &[u8], accepted: &[EventFamily]) -> Result<Parsed, EventError> {
    let event: RawEvent = serde_json::from_slice(bytes).map_err(|error| {
        if error.is_data() {
            // Valid JSON of another shape (an array, a string): say what it is.
            EventError::NotAnEvent { looks_like: foreign::describe(bytes) }
        } else {
            EventError::Syntax { message: error.to_string() }
        }
    })?;
    let (Some(source), Some(detail_type)) = (&event.source, &event.detail_type) else {
        return Err(EventError::NotAnEvent { looks_like: foreign::describe(bytes) });
    };
    let ignored = |reason: String| {
        Ok(Parsed::Ignored(Ignored {
            event_id: event.id.clone(),
            source: source.clone(),
            detail_type: detail_type.clone(),
            reason,
        }))
    };
    let Some((family, route)) = route(source, detail_type) else {
        return ignored(format!(
            "`{detail_type}` from `{source}` is not an event syncwarden tracks"
        ));
    };
    if !accepted.contains(&family) {
        let takes = accepted.iter().map(|f| f.describe()).collect::<Vec<_>>().join(", ");
        return ignored(format!(
            "this handler records {takes}; {} go to another function",
            family.describe()
        ));
    }
    let envelope = checked_envelope(&event, detail_type)?;
    let detail = event.detail.as_deref().ok_or_else(|| envelope.error("detail", "missing"))?;
    let observation = match route {
        Route::GitSyncResource => git_sync::resource(&envelope, envelope.parse_detail(detail)?),
        Route::GitSyncRepository => git_sync::repository(&envelope, envelope.parse_detail(detail)?),
        Route::Stack => cloudformation::stack(&envelope, envelope.parse_detail(detail)?),
        Route::Pipeline(level) => {
            codepipeline::execution(&envelope, level, envelope.parse_detail(detail)?)
        }
    }?;
    Ok(Parsed::Observed(observation))
}

/// The envelope of an event to record: its id (to de-duplicate) and time (to order) are
/// required.
fn checked_envelope(event: &RawEvent, detail_type: &str) -> Result<Envelope, EventError> {
    let missing = |field: &str| EventError::Envelope {
        path: field.to_owned(),
        message: format!("missing field `{field}` (needed to order and de-duplicate events)"),
    };
    let id = event.id.as_deref().filter(|id| !id.is_empty()).ok_or_else(|| missing("id"))?;
    let event_id = EventId::new(id)
        .map_err(|err| EventError::Envelope { path: "id".into(), message: err.to_string() })?;
    let time = event.time.as_deref().ok_or_else(|| missing("time"))?;
    let at = DateTime::parse_from_rfc3339(time)
        .map_err(|err| EventError::Envelope {
            path: "time".into(),
            message: format!("`{time}` is not an RFC 3339 time: {err}"),
        })?
        .with_timezone(&Utc);
    Ok(Envelope {
        event_id,
        detail_type: detail_type.to_owned(),
        at,
        account: event.account.clone(),
        region: event.region.clone(),
        resources: event.resources.clone(),
    })
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
    Some(crate::text::clip(text, max_chars).into_owned())
}

#[cfg(test)]
mod tests;
