//! A notice: one transition of one incident, as plain data every channel renders from.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::ResourceId;
use crate::observation::BlockerContext;

/// Where an incident's life is at, as told to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The first failure: the page.
    Opened,
    /// Something more happened to an open incident (another failure, a blocker, a retry).
    Updated,
    /// Failing again inside the flap window: the same incident, no new page.
    Reopened,
    /// Back to green: the recovery notice, with the outage length.
    Resolved,
}

/// What kind of thing happened, for routing and subscription filters (SNS `event_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    SyncFailed,
    RepositorySyncFailed,
    StackFailed,
    SyncStuck,
    BlockerActive,
    BlockerResolved,
    PipelineFailed,
    ConnectionUnavailable,
    /// The poller's role may not read a resource (`AccessDenied`).
    AccessDenied,
    /// A retry or new attempt started while the incident is open.
    RetryStarted,
    /// The auto-resolver decided about a blocker (resolved, dry-run, skipped).
    AutoResolve,
    /// The auto-resolver gave up on a blocker: a person must act.
    AutoResolveEscalated,
    Recovered,
}

impl EventType {
    /// The snake_case name used in SNS attributes and routing rules.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SyncFailed => "sync_failed",
            EventType::RepositorySyncFailed => "repository_sync_failed",
            EventType::StackFailed => "stack_failed",
            EventType::SyncStuck => "sync_stuck",
            EventType::BlockerActive => "blocker_active",
            EventType::BlockerResolved => "blocker_resolved",
            EventType::PipelineFailed => "pipeline_failed",
            EventType::ConnectionUnavailable => "connection_unavailable",
            EventType::AccessDenied => "access_denied",
            EventType::RetryStarted => "retry_started",
            EventType::AutoResolve => "auto_resolve",
            EventType::AutoResolveEscalated => "auto_resolve_escalated",
            EventType::Recovered => "recovered",
        }
    }
}

/// How loud a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    /// The lowercase name used in SNS attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A blocker, as a notice shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockerNotice {
    pub id: String,
    pub reason: Option<String>,
    pub contexts: Vec<BlockerContext>,
}

/// A link a person can follow (console, provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// One notice, ready to render for any channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The incident this belongs to (stable across its whole life).
    pub incident_id: String,
    /// Unique per transition of the incident: the ledger key with the channel.
    pub transition_id: String,
    pub kind: NoticeKind,
    pub event_type: EventType,
    pub severity: Severity,
    pub resource: ResourceId,
    /// One line: `Git sync failed: payments-api`.
    pub headline: String,
    /// What changed: `git sync IN_PROGRESS → FAILED`.
    pub change: String,
    /// The resource's state now: `git sync FAILED · stack UPDATE_ROLLBACK_COMPLETE`.
    pub state: String,
    /// Reason, error or failing action, when known.
    pub detail: Option<String>,
    pub commit: Option<String>,
    /// The provider's page for `commit`.
    pub commit_url: Option<String>,
    pub branch: Option<String>,
    pub repository: Option<String>,
    pub blocker: Option<BlockerNotice>,
    pub links: Vec<Link>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// When the transition happened.
    pub at: DateTime<Utc>,
    /// When the incident opened.
    pub opened_at: DateTime<Utc>,
    /// For `Resolved`: how long the resource was red.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "optional_seconds")]
    pub outage: Option<Duration>,
    /// For `Resolved`: the commit that made it green.
    pub fixed_by: Option<String>,
    /// The commit's author, when a trigger named it (routing maps it to a mention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// A Slack mention of the commit author, when a mapping is configured (`<@U123>`).
    pub mention: Option<String>,
}

/// `1h 12m`, `4m 05s`, `42s`: an outage length as a person reads it.
pub fn human_duration(duration: Duration) -> String {
    let total = duration.num_seconds().max(0);
    let (days, hours, minutes, seconds) =
        (total / 86_400, total % 86_400 / 3_600, total % 3_600 / 60, total % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, _) => format!("{minutes}m {seconds:02}s"),
        (0, _, _) => format!("{hours}h {minutes:02}m"),
        _ => format!("{days}d {hours}h"),
    }
}

mod optional_seconds {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_some(&d.num_seconds()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.map(Duration::seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outage_lengths_read_like_a_person_would_say_them() {
        assert_eq!(human_duration(Duration::seconds(42)), "42s");
        assert_eq!(human_duration(Duration::seconds(245)), "4m 05s");
        assert_eq!(human_duration(Duration::minutes(72)), "1h 12m");
        assert_eq!(human_duration(Duration::hours(50)), "2d 2h");
    }
}
