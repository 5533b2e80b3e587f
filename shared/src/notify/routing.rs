//! Who hears about what: named channels, rules that match notices to them, and a default.
//!
//! The configuration is one JSON document (the `NOTIFY_ROUTES` variable, from the template's
//! `NotifyRoutes` parameter):
//! ```json
//! { "channels": {
//!     "ops":      {"type": "slack_webhook", "secret": "arn:aws:secretsmanager:…:secret:ops-hook"},
//!     "platform": {"type": "slack_bot", "secret": "arn:…:secret:bot-token", "channel": "C0123"},
//!     "pager":    {"type": "sns", "topic_arn": "arn:aws:sns:…:syncwarden"} },
//!   "routes": [ {"resources": ["stack/payments-*"], "branches": ["main"],
//!                "accounts": ["111122223333"], "events": ["sync_failed", "recovered"],
//!                "channels": ["platform", "pager"]} ],
//!   "default": ["ops"] }
//! ```
//! A route matches when every criterion it gives matches (globs for resources and branches);
//! a notice goes to every channel of every matching route, or to `default` when none matches.
//! Secrets are named here by ARN, never included.

use std::collections::{BTreeMap, BTreeSet};

use globset::GlobSet;
use serde::Deserialize;

use super::notice::{EventType, Notice};

/// A channel a notice can be sent to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Channel {
    /// A Slack incoming webhook; `secret` holds the webhook URL.
    SlackWebhook { secret: String },
    /// A Slack bot token (`chat.postMessage` threads); `secret` holds the token.
    SlackBot { secret: String, channel: String },
    /// An SNS topic.
    Sns { topic_arn: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteSpec {
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    branches: Vec<String>,
    #[serde(default)]
    accounts: Vec<String>,
    #[serde(default)]
    events: Vec<EventType>,
    channels: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingSpec {
    channels: BTreeMap<String, Channel>,
    #[serde(default)]
    routes: Vec<RouteSpec>,
    #[serde(default)]
    default: Vec<String>,
    /// Commit author (email or name) → Slack user id, for mentions.
    #[serde(default)]
    authors: BTreeMap<String, String>,
}

/// Why a routing document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    #[error("routing configuration is not valid JSON for syncwarden: {0}")]
    Json(String),
    #[error("route {route} sends to channel `{channel}`, which `channels` does not define")]
    UnknownChannel { route: String, channel: String },
    #[error("route {route}: `{pattern}` is not a valid glob: {message}")]
    BadGlob { route: String, pattern: String, message: String },
    #[error("routing configuration has no route and no default: nothing would ever be sent")]
    Empty,
    #[error("the notifier's role cannot use what the routes name: {}", list(.0))]
    NotGranted(Vec<Ungranted>),
}

/// A channel naming a secret or topic the notifier's role may not use, and the template
/// parameter that grants it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ungranted {
    #[error(
        "channel `{channel}` reads the secret {secret}, which the role may not read: add the \
         secret's complete ARN to the template parameter NotifyRouteSecretArns and name it by \
         that ARN here"
    )]
    Secret { channel: String, secret: String },
    #[error(
        "channel `{channel}` publishes to the topic {topic}, which the role may not publish to: \
         add it to the template parameter NotifyRouteTopicArns"
    )]
    Topic { channel: String, topic: String },
}

fn list(problems: &[Ungranted]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// What the notifier's role may use, as the template grants it (`NOTIFY_ALLOWED_SECRET_ARNS`,
/// `NOTIFY_ALLOWED_TOPIC_ARNS`): the secrets it may read and the topics it may publish to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    secrets: BTreeSet<String>,
    topics: BTreeSet<String>,
}

impl Grants {
    /// From two comma-separated lists of ARNs; blank entries (parameters left empty) are
    /// ignored.
    pub fn parse(secrets: &str, topics: &str) -> Self {
        let set = |list: &str| {
            list.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect()
        };
        Grants { secrets: set(secrets), topics: set(topics) }
    }

    /// Whether the role may read the secret a route names. IAM matches a secret's complete ARN
    /// (which ends in `-` and six random characters); a route may name it by that ARN or by
    /// the ARN without the suffix, which `GetSecretValue` also accepts.
    pub fn allows_secret(&self, id: &str) -> bool {
        self.secrets.iter().any(|granted| {
            granted == id
                || granted.strip_prefix(id).is_some_and(|rest| {
                    rest.len() == 7
                        && rest.starts_with('-')
                        && rest[1..].chars().all(|c| c.is_ascii_alphanumeric())
                })
        })
    }

    /// Whether the role may publish to `topic`.
    pub fn allows_topic(&self, topic: &str) -> bool {
        self.topics.contains(topic)
    }
}

#[derive(Debug, Clone)]
struct Route {
    resources: Option<GlobSet>,
    branches: Option<GlobSet>,
    accounts: BTreeSet<String>,
    events: BTreeSet<EventType>,
    channels: Vec<String>,
}

/// The parsed, validated routing table.
#[derive(Debug, Clone)]
pub struct Routing {
    channels: BTreeMap<String, Channel>,
    routes: Vec<Route>,
    default: Vec<String>,
    authors: BTreeMap<String, String>,
}

fn globs(route: &str, patterns: &[String]) -> Result<Option<GlobSet>, RoutingError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    crate::globs::glob_set(patterns, false).map(Some).map_err(|e| RoutingError::BadGlob {
        route: route.to_owned(),
        pattern: e.pattern,
        message: e.message,
    })
}

impl Routing {
    /// Parses and validates a routing document.
    pub fn parse(json: &str) -> Result<Self, RoutingError> {
        let mut de = serde_json::Deserializer::from_str(json);
        let spec: RoutingSpec = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| RoutingError::Json(format!("{}: {}", e.path(), e.inner())))?;
        if spec.routes.is_empty() && spec.default.is_empty() {
            return Err(RoutingError::Empty);
        }
        let check = |route: &str, channels: &[String]| {
            channels.iter().find(|c| !spec.channels.contains_key(*c)).map_or(Ok(()), |channel| {
                Err(RoutingError::UnknownChannel {
                    route: route.to_owned(),
                    channel: channel.clone(),
                })
            })
        };
        check("default", &spec.default)?;
        let mut routes = Vec::new();
        for (i, route) in spec.routes.iter().enumerate() {
            let name = format!("#{}", i + 1);
            check(&name, &route.channels)?;
            routes.push(Route {
                resources: globs(&name, &route.resources)?,
                branches: globs(&name, &route.branches)?,
                accounts: route.accounts.iter().cloned().collect(),
                events: route.events.iter().copied().collect(),
                channels: route.channels.clone(),
            });
        }
        Ok(Routing {
            channels: spec.channels,
            routes,
            default: spec.default,
            authors: spec.authors,
        })
    }

    /// The channels `notice` goes to, by name, each once, in name order.
    pub fn channels_for(&self, notice: &Notice) -> Vec<(&str, &Channel)> {
        let resource = notice.resource.to_string();
        let matches = |route: &Route| {
            route.resources.as_ref().is_none_or(|g| g.is_match(&resource))
                && route
                    .branches
                    .as_ref()
                    .is_none_or(|g| notice.branch.as_deref().is_some_and(|b| g.is_match(b)))
                && (route.accounts.is_empty()
                    || notice.account.as_ref().is_some_and(|a| route.accounts.contains(a)))
                && (route.events.is_empty() || route.events.contains(&notice.event_type))
        };
        let mut names: BTreeSet<&str> = self
            .routes
            .iter()
            .filter(|r| matches(r))
            .flat_map(|r| r.channels.iter().map(String::as_str))
            .collect();
        if names.is_empty() {
            names = self.default.iter().map(String::as_str).collect();
        }
        names.into_iter().filter_map(|n| self.channels.get(n).map(|c| (n, c))).collect()
    }

    /// The Slack user to mention for a commit author, when mapped.
    pub fn mention(&self, author: &str) -> Option<String> {
        self.authors.get(author).map(|user| format!("<@{user}>"))
    }

    /// Every channel, by name.
    pub fn all_channels(&self) -> impl Iterator<Item = (&str, &Channel)> {
        self.channels.iter().map(|(n, c)| (n.as_str(), c))
    }

    /// Checks that the role may use every secret and topic the channels name, so a route the
    /// deployment does not grant fails at startup, naming the parameter to set, instead of
    /// every notice to it failing with AccessDenied and ending in the dead-letter queue.
    pub fn check_grants(&self, grants: &Grants) -> Result<(), RoutingError> {
        let problems: Vec<Ungranted> = self
            .all_channels()
            .filter_map(|(name, channel)| match channel {
                Channel::SlackWebhook { secret } | Channel::SlackBot { secret, .. }
                    if !grants.allows_secret(secret) =>
                {
                    Some(Ungranted::Secret { channel: name.to_owned(), secret: secret.clone() })
                }
                Channel::Sns { topic_arn } if !grants.allows_topic(topic_arn) => {
                    Some(Ungranted::Topic { channel: name.to_owned(), topic: topic_arn.clone() })
                }
                _ => None,
            })
            .collect();
        if problems.is_empty() { Ok(()) } else { Err(RoutingError::NotGranted(problems)) }
    }
}

#[cfg(test)]
mod tests;
