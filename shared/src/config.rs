//! Typed configuration from the environment, with messages that say what to set.

use crate::store::Retention;

/// A missing or unusable environment variable.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {name} is not set: {purpose}")]
    Missing { name: &'static str, purpose: &'static str },
    #[error("environment variable {name}=`{value}` is invalid: {expected}")]
    Invalid { name: &'static str, value: String, expected: String },
}

/// `main` prints an error it returns with `Debug`: make that the readable message.
impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Reads variables through a lookup function, so tests need not touch the process environment.
pub struct Env<F: Fn(&str) -> Option<String>>(pub F);

impl Env<fn(&str) -> Option<String>> {
    /// The process environment.
    pub fn process() -> Self {
        Env(|name| std::env::var(name).ok())
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// A variable, `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    /// A required variable.
    pub fn required(
        &self,
        name: &'static str,
        purpose: &'static str,
    ) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing { name, purpose })
    }

    /// An optional variable exactly as set (`None` only when unset; blank is kept as is).
    pub fn raw(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }

    /// An optional whole number in `range`.
    pub fn number(
        &self,
        name: &'static str,
        default: u32,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<u32, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) => match value.trim().parse::<u32>() {
                Ok(n) if range.contains(&n) => Ok(n),
                _ => Err(ConfigError::Invalid {
                    name,
                    value,
                    expected: format!("a whole number from {} to {}", range.start(), range.end()),
                }),
            },
        }
    }

    /// An optional count in `range` (default `default`).
    pub fn count(
        &self,
        name: &'static str,
        default: usize,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<usize, ConfigError> {
        let default = u32::try_from(default).unwrap_or(u32::MAX);
        Ok(self.number(name, default, range)? as usize)
    }

    /// An optional number of minutes in `range` (default `default`).
    pub fn minutes(
        &self,
        name: &'static str,
        default: chrono::Duration,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<chrono::Duration, ConfigError> {
        let default = u32::try_from(default.num_minutes()).unwrap_or(u32::MAX);
        Ok(chrono::Duration::minutes(i64::from(self.number(name, default, range)?)))
    }

    /// An optional number of seconds in `range` (default `default`).
    pub fn seconds(
        &self,
        name: &'static str,
        default: std::time::Duration,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<std::time::Duration, ConfigError> {
        let default = u32::try_from(default.as_secs()).unwrap_or(u32::MAX);
        Ok(std::time::Duration::from_secs(u64::from(self.number(name, default, range)?)))
    }

    /// An optional number of days in `1..=36500`.
    pub fn days(&self, name: &'static str, default: u32) -> Result<u32, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) => match value.trim().parse::<u32>() {
                Ok(days @ 1..=36500) => Ok(days),
                _ => Err(ConfigError::Invalid {
                    name,
                    value,
                    expected: "a whole number of days from 1 to 36500".into(),
                }),
            },
        }
    }
}

/// The history table and its retention: what every function that writes the history needs
/// (the recorders, the poller, the auto-resolver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryConfig {
    pub table_name: String,
    pub retention: Retention,
}

impl HistoryConfig {
    /// Reads `TABLE_NAME` (required) and `HISTORY_RETENTION_DAYS` (default 90).
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(HistoryConfig {
            table_name: env
                .required("TABLE_NAME", "the DynamoDB table that holds the sync history")?,
            retention: Retention::days(
                env.days("HISTORY_RETENTION_DAYS", Retention::DEFAULT_DAYS)?,
            ),
        })
    }
}

/// What the notifier needs: the table, the routes, the incident rules, Slack's API.
#[derive(Debug, Clone)]
pub struct NotifierConfig {
    pub table_name: String,
    pub routing: crate::notify::routing::Routing,
    pub incidents: crate::notify::incident::IncidentConfig,
    pub slack_api_base: String,
}

impl NotifierConfig {
    /// Reads `TABLE_NAME`, the routes, `FLAP_WINDOW_MINUTES` (30) and `SLACK_API_BASE`
    /// (`https://slack.com/api`; https, or http to loopback for local runs).
    ///
    /// The routes are `NOTIFY_ROUTES` (a routing document) when set; otherwise every channel
    /// that `SNS_TOPIC_ARN`, `SLACK_WEBHOOK_SECRET_ARN` and `SLACK_BOT_TOKEN_SECRET_ARN` (with
    /// `SLACK_CHANNEL`) configure gets every notice.
    ///
    /// When `NOTIFY_ALLOWED_SECRET_ARNS` or `NOTIFY_ALLOWED_TOPIC_ARNS` is set (the template
    /// always sets both, to what the role is granted), every secret and topic the routes name
    /// must be among them. Local runs, which have no IAM role, leave both unset.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let table_name =
            env.required("TABLE_NAME", "the DynamoDB table that holds the sync history")?;
        let routes = match env.get("NOTIFY_ROUTES") {
            Some(routes) => routes,
            None => default_routes(env)?,
        };
        let routing =
            crate::notify::routing::Routing::parse(&routes).map_err(|e| ConfigError::Invalid {
                name: "NOTIFY_ROUTES",
                value: "(routing JSON)".into(),
                expected: e.to_string(),
            })?;
        let secrets = env.raw("NOTIFY_ALLOWED_SECRET_ARNS");
        let topics = env.raw("NOTIFY_ALLOWED_TOPIC_ARNS");
        if secrets.is_some() || topics.is_some() {
            let grants = crate::notify::routing::Grants::parse(
                secrets.as_deref().unwrap_or_default(),
                topics.as_deref().unwrap_or_default(),
            );
            routing.check_grants(&grants).map_err(|e| ConfigError::Invalid {
                name: "NOTIFY_ROUTES",
                value: "(routing JSON)".into(),
                expected: e.to_string(),
            })?;
        }
        let flap_window = env.minutes(
            "FLAP_WINDOW_MINUTES",
            crate::notify::incident::IncidentConfig::default().flap_window,
            0..=1440,
        )?;
        let slack_api_base = env
            .raw("SLACK_API_BASE")
            .unwrap_or_else(|| crate::clients::slack::DEFAULT_API_BASE.into());
        crate::clients::slack::check_url(&slack_api_base).map_err(|e| ConfigError::Invalid {
            name: "SLACK_API_BASE",
            value: slack_api_base.clone(),
            expected: e.to_string(),
        })?;
        Ok(NotifierConfig {
            table_name,
            routing,
            incidents: crate::notify::incident::IncidentConfig { flap_window },
            slack_api_base,
        })
    }
}

impl crate::resolve::policy::PolicyConfig {
    /// The auto-resolve policy from `AUTO_RESOLVE_MODE`, `AUTO_RESOLVE_STACKS`,
    /// `AUTO_RESOLVE_REASONS`, `AUTO_RESOLVE_MIN_AGE_MINUTES`,
    /// `AUTO_RESOLVE_REQUIRE_NEW_COMMIT`, `AUTO_RESOLVE_COOLDOWN_MINUTES` and
    /// `AUTO_RESOLVE_DAILY_CAP`; what is unset takes [`PolicySettings::default`] (dry-run, no
    /// stack).
    ///
    /// [`PolicySettings::default`]: crate::resolve::policy::PolicySettings
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        use crate::resolve::policy::{PolicyConfig, PolicySettings};
        let defaults = PolicySettings::default();
        let list = |name: &str, default: Vec<String>| -> Vec<String> {
            match env.raw(name) {
                Some(value) => value
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect(),
                None => default,
            }
        };
        let mode = match env.get("AUTO_RESOLVE_MODE") {
            None => defaults.mode,
            Some(value) => value.parse().map_err(|e: String| ConfigError::Invalid {
                name: "AUTO_RESOLVE_MODE",
                value,
                expected: e,
            })?,
        };
        let require_new_commit = match env.get("AUTO_RESOLVE_REQUIRE_NEW_COMMIT").as_deref() {
            None => defaults.require_new_commit,
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "AUTO_RESOLVE_REQUIRE_NEW_COMMIT",
                    value: other.into(),
                    expected: "true or false".into(),
                });
            }
        };
        let settings = PolicySettings {
            mode,
            stacks: list("AUTO_RESOLVE_STACKS", defaults.stacks),
            reasons: list("AUTO_RESOLVE_REASONS", defaults.reasons),
            min_age: env.minutes("AUTO_RESOLVE_MIN_AGE_MINUTES", defaults.min_age, 0..=10_080)?,
            require_new_commit,
            cooldown: env.minutes(
                "AUTO_RESOLVE_COOLDOWN_MINUTES",
                defaults.cooldown,
                0..=10_080,
            )?,
            daily_cap: env.number("AUTO_RESOLVE_DAILY_CAP", defaults.daily_cap, 0..=100)?,
        };
        PolicyConfig::new(settings).map_err(|e| ConfigError::Invalid {
            name: "AUTO_RESOLVE_STACKS / AUTO_RESOLVE_REASONS",
            value: e.pattern.clone(),
            expected: e.to_string(),
        })
    }
}

/// How the poller behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollConfig {
    /// Targets polled at once.
    pub concurrency: usize,
    /// A sync running longer than this is flagged stuck.
    pub stuck_after: chrono::Duration,
    /// Which pipelines to watch.
    pub pipelines: crate::globs::PipelineFilter,
    /// No target is started with less than this left before the deadline, so the ones in
    /// flight finish and the resume point is saved.
    pub stop_margin: std::time::Duration,
    /// An ACTIVE blocker whose last auto-resolve attempt failed is announced again after this.
    pub reannounce_after: chrono::Duration,
    /// A target whose read was denied (AccessDenied) is not read again before this has
    /// passed: IAM does not fix itself, and every denied call is a CloudTrail entry.
    pub access_recheck: chrono::Duration,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            concurrency: 8,
            stuck_after: chrono::Duration::minutes(60),
            pipelines: crate::globs::PipelineFilter::all(),
            stop_margin: std::time::Duration::from_secs(10),
            reannounce_after: chrono::Duration::minutes(30),
            access_recheck: chrono::Duration::minutes(60),
        }
    }
}

impl PollConfig {
    /// `POLL_CONCURRENCY`, `STUCK_AFTER_MINUTES`, `WATCH_PIPELINES`, `POLL_STOP_MARGIN_SECONDS`,
    /// `REANNOUNCE_BLOCKER_AFTER_MINUTES` and `ACCESS_DENIED_RECHECK_MINUTES`; what is unset
    /// takes `PollConfig::default()`.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let defaults = PollConfig::default();
        Ok(PollConfig {
            concurrency: env.count("POLL_CONCURRENCY", defaults.concurrency, 1..=64)?,
            stuck_after: env.minutes("STUCK_AFTER_MINUTES", defaults.stuck_after, 1..=10_080)?,
            pipelines: env
                .raw("WATCH_PIPELINES")
                .map_or(defaults.pipelines, |p| crate::globs::PipelineFilter::parse(&p)),
            stop_margin: env.seconds("POLL_STOP_MARGIN_SECONDS", defaults.stop_margin, 0..=300)?,
            reannounce_after: env.minutes(
                "REANNOUNCE_BLOCKER_AFTER_MINUTES",
                defaults.reannounce_after,
                1..=10_080,
            )?,
            access_recheck: env.minutes(
                "ACCESS_DENIED_RECHECK_MINUTES",
                defaults.access_recheck,
                1..=10_080,
            )?,
        })
    }
}

/// A routing document that sends everything to every channel the simple variables name.
fn default_routes<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<String, ConfigError> {
    let mut channels = serde_json::Map::new();
    if let Some(topic) = env.get("SNS_TOPIC_ARN") {
        channels.insert("sns".into(), serde_json::json!({"type": "sns", "topic_arn": topic}));
    }
    if let Some(secret) = env.get("SLACK_WEBHOOK_SECRET_ARN") {
        channels.insert(
            "slack-webhook".into(),
            serde_json::json!({"type": "slack_webhook", "secret": secret}),
        );
    }
    if let Some(secret) = env.get("SLACK_BOT_TOKEN_SECRET_ARN") {
        let channel = env.required("SLACK_CHANNEL", "the Slack channel id the bot posts to")?;
        channels.insert(
            "slack-bot".into(),
            serde_json::json!({"type": "slack_bot", "secret": secret, "channel": channel}),
        );
    }
    if channels.is_empty() {
        return Err(ConfigError::Missing {
            name: "NOTIFY_ROUTES",
            purpose: "no channel is configured: set NOTIFY_ROUTES, or SNS_TOPIC_ARN / \
                      SLACK_WEBHOOK_SECRET_ARN / SLACK_BOT_TOKEN_SECRET_ARN",
        });
    }
    let default: Vec<&String> = channels.keys().collect();
    Ok(serde_json::json!({"channels": channels, "default": default}).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> Env<impl Fn(&str) -> Option<String>> {
        Env(move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn unset_variables_take_each_config_s_one_default() {
        assert_eq!(PollConfig::from_env(&env(&[])).unwrap(), PollConfig::default());
        let policy = crate::resolve::PolicyConfig::from_env(&env(&[])).unwrap();
        assert_eq!(policy.settings, crate::resolve::PolicySettings::default());
        let set = PollConfig::from_env(&env(&[("STUCK_AFTER_MINUTES", "5")])).unwrap();
        assert_eq!(set.stuck_after, chrono::Duration::minutes(5));
        let bad = PollConfig::from_env(&env(&[("POLL_CONCURRENCY", "0")])).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "environment variable POLL_CONCURRENCY=`0` is invalid: a whole number from 1 to 64"
        );
    }

    #[test]
    fn without_a_routing_document_every_configured_channel_gets_everything() {
        let config = NotifierConfig::from_env(&env(&[
            ("TABLE_NAME", "t"),
            ("SNS_TOPIC_ARN", "arn:aws:sns:eu-west-1:111122223333:syncwarden"),
            (
                "SLACK_WEBHOOK_SECRET_ARN",
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:hook",
            ),
        ]))
        .unwrap();
        let names: Vec<&str> = config.routing.all_channels().map(|(name, _)| name).collect();
        assert_eq!(names, ["slack-webhook", "sns"]);
        let none = NotifierConfig::from_env(&env(&[("TABLE_NAME", "t")])).unwrap_err();
        assert!(none.to_string().contains("no channel is configured"), "{none}");
        let bot = NotifierConfig::from_env(&env(&[
            ("TABLE_NAME", "t"),
            ("SLACK_BOT_TOKEN_SECRET_ARN", "arn:x"),
        ]));
        assert!(bot.unwrap_err().to_string().contains("SLACK_CHANNEL"));
    }

    const ROUTES: &str = r#"{"channels": {
        "ops": {"type": "slack_webhook", "secret": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:hook-AbC123"},
        "pager": {"type": "sns", "topic_arn": "arn:aws:sns:eu-west-1:111122223333:pager"}},
        "default": ["ops", "pager"]}"#;

    #[test]
    fn deployed_routes_must_name_only_what_the_role_is_granted() {
        // As the template deploys it with NotifyRouteTopicArns left empty: the pager topic is
        // not granted, and startup says which parameter to set.
        let error = NotifierConfig::from_env(&env(&[
            ("TABLE_NAME", "t"),
            ("NOTIFY_ROUTES", ROUTES),
            (
                "NOTIFY_ALLOWED_SECRET_ARNS",
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:hook-AbC123,,",
            ),
            ("NOTIFY_ALLOWED_TOPIC_ARNS", "arn:aws:sns:eu-west-1:111122223333:syncwarden,"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(error.contains("NOTIFY_ROUTES"), "{error}");
        assert!(error.contains("channel `pager`"), "{error}");
        assert!(error.contains("NotifyRouteTopicArns"), "{error}");
        assert!(!error.contains("channel `ops`"), "the granted secret passes: {error}");

        // With the topic in NotifyRouteTopicArns the same routes start.
        let granted = NotifierConfig::from_env(&env(&[
            ("TABLE_NAME", "t"),
            ("NOTIFY_ROUTES", ROUTES),
            (
                "NOTIFY_ALLOWED_SECRET_ARNS",
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:hook-AbC123",
            ),
            (
                "NOTIFY_ALLOWED_TOPIC_ARNS",
                "arn:aws:sns:eu-west-1:111122223333:syncwarden,arn:aws:sns:eu-west-1:111122223333:pager",
            ),
        ]));
        assert!(granted.is_ok(), "{granted:?}");

        // Local runs set neither variable: nothing to check against.
        let local =
            NotifierConfig::from_env(&env(&[("TABLE_NAME", "t"), ("NOTIFY_ROUTES", ROUTES)]));
        assert!(local.is_ok(), "{local:?}");
    }

    /// The startup check is only as good as the list it checks against: the template must tell
    /// the notifier exactly what its role grants, parameter for parameter.
    #[test]
    fn the_template_tells_the_notifier_what_its_role_may_use() {
        let template = include_str!("../../template.yaml");
        let between = |from: &str, to: &str| {
            let start = template.find(from).unwrap_or_else(|| panic!("{from} in template.yaml"));
            let end = template[start..].find(to).map_or(template.len(), |i| start + i);
            &template[start..end]
        };
        let secrets = between("NOTIFY_ALLOWED_SECRET_ARNS:", "NOTIFY_ALLOWED_TOPIC_ARNS:");
        let topics = between("NOTIFY_ALLOWED_TOPIC_ARNS:", "FLAP_WINDOW_MINUTES:");
        let role = between("  NotifierFunctionRole:", "  NotifierFunction:");
        for parameter in
            ["SlackWebhookSecretArn", "SlackBotTokenSecretArn", "NotifyRouteSecretArns"]
        {
            assert!(secrets.contains(&format!("!Ref {parameter}")), "{parameter} in the env");
            assert!(
                role.contains(&format!("Action: secretsmanager:GetSecretValue\n                  Resource: !Ref {parameter}")),
                "{parameter} granted to the role"
            );
        }
        for reference in
            ["!Ref NotificationTopic,", "!Ref NotificationTopicArn]", "!Ref NotifyRouteTopicArns"]
        {
            assert!(topics.contains(reference), "{reference} in the env");
            assert!(role.contains(reference), "{reference} granted to the role");
        }
    }

    #[test]
    fn the_slack_api_base_must_be_https_or_loopback() {
        const TOPIC: (&str, &str) =
            ("SNS_TOPIC_ARN", "arn:aws:sns:eu-west-1:111122223333:syncwarden");
        let https = &[("TABLE_NAME", "t"), TOPIC, ("SLACK_API_BASE", "https://slack.com/api")];
        assert!(NotifierConfig::from_env(&env(https)).is_ok());
        let loopback = &[("TABLE_NAME", "t"), TOPIC, ("SLACK_API_BASE", "http://127.0.0.1:4/api")];
        assert!(NotifierConfig::from_env(&env(loopback)).is_ok());
        let plain = &[("TABLE_NAME", "t"), TOPIC, ("SLACK_API_BASE", "http://slack.example/api")];
        let error = NotifierConfig::from_env(&env(plain)).unwrap_err().to_string();
        assert!(error.contains("SLACK_API_BASE") && error.contains("https"), "{error}");
    }

    #[test]
    fn missing_table_name_says_what_it_is_for() {
        assert_eq!(
            HistoryConfig::from_env(&env(&[])).unwrap_err().to_string(),
            "environment variable TABLE_NAME is not set: the DynamoDB table that holds the sync history"
        );
    }

    #[test]
    fn retention_defaults_to_90_days_and_rejects_nonsense() {
        let config = HistoryConfig::from_env(&env(&[("TABLE_NAME", "t")])).unwrap();
        assert_eq!(config.retention, Retention::days(90));
        let err =
            HistoryConfig::from_env(&env(&[("TABLE_NAME", "t"), ("HISTORY_RETENTION_DAYS", "0")]))
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable HISTORY_RETENTION_DAYS=`0` is invalid: a whole number of days from 1 to 36500"
        );
    }
}
