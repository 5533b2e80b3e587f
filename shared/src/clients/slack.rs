//! Slack: [`SlackClient`] posts to an incoming webhook or the Web API (`chat.postMessage`,
//! `chat.update`), retrying within a deadline. What it posts is rendered by
//! [`crate::notify::slack`].
//!
//! Webhook URLs and bot tokens are secrets: nothing here logs them or puts them in an error.
//! The client goes only where it is told: it follows no redirect (a 3xx is a refusal, so a
//! token or payload is never replayed to another host) and sends only over https (http is
//! allowed to a loopback address, for the local Slack server of tests and the demo).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::text;

/// Slack's Web API base URL.
pub const DEFAULT_API_BASE: &str = "https://slack.com/api";

/// The longest a single attempt may take (Lambda's deadline usually cuts it shorter).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Establishing a connection (TCP and TLS) to Slack.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest `Retry-After` taken as given. Slack's rate-limit windows are a minute, so no
/// real answer asks for more; a larger (or absurd) value is read as this, which keeps the
/// deadline arithmetic from overflowing, and the client still never waits past its deadline.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(60);
/// Attempts per call, counting the first.
const MAX_ATTEMPTS: u32 = 4;
/// The first backoff after a 5xx or transport error; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Used when a 429 comes without a readable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// How much of an error body goes into [`SlackError::Rejected`].
const ERROR_BODY_MAX: usize = 200;

/// Why a Slack call failed.
#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    /// HTTP 429 or the Web API's `ratelimited`: try again after `retry_after`.
    #[error("Slack rate limited the call (retry after {}s)", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    /// Slack answered 5xx.
    #[error("Slack answered HTTP {status}")]
    Server { status: u16 },
    /// Slack refused the call (bad payload, token or channel, revoked webhook): retrying the
    /// same call cannot help.
    #[error("Slack rejected the call (HTTP {status}): {error}")]
    Rejected { status: u16, error: String },
    /// The request did not get an answer (connection, TLS, timeout).
    #[error("could not reach Slack: {0}")]
    Transport(String),
    /// Slack said yes but the answer lacks what we need (e.g. no `ts`).
    #[error("unexpected answer from Slack: {0}")]
    Malformed(String),
    /// The payload could not be sent (not a JSON object).
    #[error("invalid Slack payload: {0}")]
    InvalidPayload(&'static str),
    /// The deadline came before a retry could succeed; `last` is the last failure.
    #[error("ran out of time calling Slack; last error: {last}")]
    OutOfTime { last: Box<SlackError> },
    /// The URL is not one the client may call (the URL itself is not shown: a webhook URL is
    /// a secret).
    #[error("refusing to call Slack at that URL: {0}")]
    RefusedUrl(&'static str),
    /// The HTTP client could not be built (its TLS backend failed to start).
    #[error("could not set up the HTTP client for Slack: {0}")]
    Setup(String),
}

/// Slack's answers that mean the credential itself is no longer good: the token was revoked or
/// rotated, the webhook removed. After one of these the cached secret is read again.
const CREDENTIAL_ERRORS: &[&str] = &[
    "invalid_auth",
    "token_revoked",
    "token_expired",
    "not_authed",
    "account_inactive",
    // Incoming webhooks: a revoked URL (403) and a removed one (404).
    "invalid_token",
    "no_service",
];

impl SlackError {
    /// Whether the same call may succeed later (rate limits, 5xx, network, time).
    pub fn is_retryable(&self) -> bool {
        match self {
            SlackError::RateLimited { .. }
            | SlackError::Server { .. }
            | SlackError::Transport(_)
            | SlackError::OutOfTime { .. } => true,
            // A malformed success may still have posted: retrying could post twice.
            SlackError::Rejected { .. }
            | SlackError::Malformed(_)
            | SlackError::InvalidPayload(_)
            | SlackError::RefusedUrl(_)
            | SlackError::Setup(_) => false,
        }
    }

    /// Whether Slack refused the credential (HTTP 401/403, or an error such as `invalid_auth`
    /// or `token_revoked`): nothing was posted, and a fresher secret may work.
    pub fn is_credential_refused(&self) -> bool {
        match self {
            SlackError::Rejected { status, error } => {
                matches!(status, 401 | 403) || CREDENTIAL_ERRORS.contains(&error.as_str())
            }
            _ => false,
        }
    }

    /// How long Slack asked us to wait, when it rate limited the (last) attempt.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SlackError::RateLimited { retry_after } => Some(*retry_after),
            SlackError::OutOfTime { last } => last.retry_after(),
            _ => None,
        }
    }
}

/// Posts to Slack webhooks and the Web API. Build it once per container and reuse it: it
/// keeps the connection pool.
#[derive(Debug, Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    api_base: String,
}

/// A Web API answer (`ok`, and `error` or `ts`).
#[derive(Debug, Deserialize)]
struct ApiReply {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    ts: Option<String>,
}

impl SlackClient {
    /// A client for the Web API at `api_base` ([`DEFAULT_API_BASE`] in production), which
    /// must pass [`check_url`].
    pub fn new(api_base: impl Into<String>) -> Result<Self, SlackError> {
        let api_base = api_base.into().trim_end_matches('/').to_owned();
        check_url(&api_base)?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| SlackError::Setup(e.without_url().to_string()))?;
        Ok(SlackClient { http, api_base })
    }

    /// POSTs a webhook payload; Slack answers 200 `ok`.
    pub async fn post_webhook(
        &self,
        url: &str,
        payload: &Value,
        deadline: Instant,
    ) -> Result<(), SlackError> {
        check_url(url)?;
        let body =
            serde_json::to_vec(payload).map_err(|_| SlackError::InvalidPayload("not JSON"))?;
        let request = || self.http.post(url).header(CONTENT_TYPE, JSON).body(body.clone());
        self.call("webhook", deadline, request, |status, _, body| match status {
            StatusCode::OK => Ok(()),
            _ => Err(rejected(status, body)),
        })
        .await
    }

    /// `chat.postMessage` with a bot token, in a thread when `thread_ts` is given; returns the
    /// new message's `ts`.
    pub async fn post_message(
        &self,
        token: &str,
        channel: &str,
        payload: &Value,
        thread_ts: Option<&str>,
        deadline: Instant,
    ) -> Result<String, SlackError> {
        let mut extra = vec![("channel", channel)];
        extra.extend(thread_ts.map(|ts| ("thread_ts", ts)));
        let body = with_fields(payload, &extra)?;
        let reply = self.api("chat.postMessage", token, body, deadline).await?;
        reply
            .ts
            .ok_or_else(|| SlackError::Malformed("chat.postMessage answered without a ts".into()))
    }

    /// `chat.update` of an earlier message (`ts` in `channel`).
    pub async fn update_message(
        &self,
        token: &str,
        channel: &str,
        ts: &str,
        payload: &Value,
        deadline: Instant,
    ) -> Result<(), SlackError> {
        let body = with_fields(payload, &[("channel", channel), ("ts", ts)])?;
        self.api("chat.update", token, body, deadline).await.map(drop)
    }

    /// Calls a Web API method with a JSON body; `ok: false` becomes an error.
    async fn api(
        &self,
        method: &'static str,
        token: &str,
        body: Vec<u8>,
        deadline: Instant,
    ) -> Result<ApiReply, SlackError> {
        let url = format!("{}/{method}", self.api_base);
        let request = || {
            self.http.post(&url).bearer_auth(token).header(CONTENT_TYPE, JSON).body(body.clone())
        };
        self.call(method, deadline, request, |status, headers, body| {
            if status != StatusCode::OK {
                return Err(rejected(status, body));
            }
            let reply: ApiReply = serde_json::from_slice(body)
                .map_err(|e| SlackError::Malformed(format!("{method} answer is not JSON: {e}")))?;
            if reply.ok {
                return Ok(reply);
            }
            match reply.error.as_deref() {
                Some("ratelimited") => {
                    Err(SlackError::RateLimited { retry_after: retry_after(headers) })
                }
                error => Err(SlackError::Rejected {
                    status: status.as_u16(),
                    error: error.unwrap_or("unknown_error").to_owned(),
                }),
            }
        })
        .await
    }

    /// Sends `request` until it succeeds, fails for good, runs out of attempts or would pass
    /// `deadline`. 429 waits `Retry-After`; 5xx and transport errors back off exponentially.
    /// `accept` judges every answer that is not 429 or 5xx.
    ///
    /// A retry after a timeout can post twice (Slack may have accepted the first attempt);
    /// notices are at-least-once, and a duplicate beats a missed page.
    async fn call<T>(
        &self,
        what: &'static str,
        deadline: Instant,
        request: impl Fn() -> reqwest::RequestBuilder,
        accept: impl Fn(StatusCode, &HeaderMap, &[u8]) -> Result<T, SlackError>,
    ) -> Result<T, SlackError> {
        let mut last = None;
        for attempt in 1..=MAX_ATTEMPTS {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let error = match request().timeout(left.min(ATTEMPT_TIMEOUT)).send().await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    match response.bytes().await {
                        Ok(_) if status == StatusCode::TOO_MANY_REQUESTS => {
                            SlackError::RateLimited { retry_after: retry_after(&headers) }
                        }
                        Ok(_) if status.is_server_error() => {
                            SlackError::Server { status: status.as_u16() }
                        }
                        Ok(body) => match accept(status, &headers, &body) {
                            Ok(value) => return Ok(value),
                            Err(error) => error,
                        },
                        Err(e) => transport(e),
                    }
                }
                Err(e) => transport(e),
            };
            if !error.is_retryable() || attempt == MAX_ATTEMPTS {
                tracing::warn!(call = what, attempt, error = %error, "Slack call failed");
                return Err(error);
            }
            let wait = error.retry_after().unwrap_or(FIRST_BACKOFF * 2u32.pow(attempt - 1));
            if Instant::now() + wait >= deadline {
                last = Some(error);
                break;
            }
            tracing::info!(call = what, attempt, error = %error, wait_ms = wait.as_millis() as u64, "retrying Slack call");
            tokio::time::sleep(wait).await;
        }
        let last = last.unwrap_or_else(|| SlackError::Transport("no time left to send".into()));
        tracing::warn!(call = what, error = %last, "Slack call ran out of time");
        Err(SlackError::OutOfTime { last: Box::new(last) })
    }
}

const JSON: &str = "application/json; charset=utf-8";

/// The payload with `fields` added at the top level (`channel`, `ts`, `thread_ts`).
fn with_fields(payload: &Value, fields: &[(&str, &str)]) -> Result<Vec<u8>, SlackError> {
    let mut body: Map<String, Value> = match payload {
        Value::Object(map) => map.clone(),
        _ => return Err(SlackError::InvalidPayload("not a JSON object")),
    };
    for (key, value) in fields {
        body.insert((*key).to_owned(), Value::from(*value));
    }
    serde_json::to_vec(&body).map_err(|_| SlackError::InvalidPayload("not serialisable"))
}

/// A refusal, with the start of Slack's error body (`invalid_payload`, `no_service`, …).
fn rejected(status: StatusCode, body: &[u8]) -> SlackError {
    let text = String::from_utf8_lossy(body);
    let error = text::clip(text.trim(), ERROR_BODY_MAX).into_owned();
    SlackError::Rejected { status: status.as_u16(), error }
}

/// `Retry-After` in seconds (Slack's form), at most [`RETRY_AFTER_MAX`]; a second when it is
/// missing or unreadable.
fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map_or(DEFAULT_RETRY_AFTER, |secs| Duration::from_secs(secs).min(RETRY_AFTER_MAX))
}

/// Whether the client may send to `url`: https anywhere, http only to a loopback address
/// (`localhost`, 127.0.0.0/8, `::1`). The error never contains the URL.
pub fn check_url(url: &str) -> Result<(), SlackError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| SlackError::RefusedUrl("not a valid URL"))?;
    // The parser normalises hosts (`127.1` is `127.0.0.1`) and brackets IPv6 ones.
    let host = parsed.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" if !host.is_empty() => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(SlackError::RefusedUrl("only https is allowed (http only to loopback)")),
        _ => Err(SlackError::RefusedUrl("only https URLs are allowed")),
    }
}

/// A transport error without its URL (a webhook URL is a secret), with its causes.
fn transport(error: reqwest::Error) -> SlackError {
    // reqwest puts the URL in its own message; the causes (hyper, io) carry none.
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    SlackError::Transport(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_whether_a_retry_can_help() {
        let limited = SlackError::RateLimited { retry_after: std::time::Duration::from_secs(3) };
        assert!(limited.is_retryable());
        let out = SlackError::OutOfTime { last: Box::new(limited) };
        assert!(out.is_retryable());
        assert_eq!(out.retry_after(), Some(std::time::Duration::from_secs(3)));
        assert!(SlackError::Server { status: 502 }.is_retryable());
        assert!(!SlackError::Rejected { status: 200, error: "invalid_auth".into() }.is_retryable());
    }

    #[test]
    fn a_refused_credential_is_told_apart_from_other_refusals() {
        let rejected = |status, error: &str| SlackError::Rejected { status, error: error.into() };
        // The Web API answers 200 with an error name; webhooks answer with a status and a body.
        for refused in [
            rejected(200, "invalid_auth"),
            rejected(200, "token_revoked"),
            rejected(200, "account_inactive"),
            rejected(403, "invalid_token"),
            rejected(403, "action_prohibited"),
            rejected(401, ""),
            rejected(404, "no_service"),
        ] {
            assert!(refused.is_credential_refused(), "{refused:?}");
            assert!(!refused.is_retryable(), "the same call cannot succeed: {refused:?}");
        }
        for other in [
            rejected(200, "channel_not_found"),
            rejected(400, "invalid_payload"),
            rejected(404, "channel_not_found"),
            rejected(302, ""),
            SlackError::Server { status: 503 },
            SlackError::RateLimited { retry_after: std::time::Duration::from_secs(1) },
        ] {
            assert!(!other.is_credential_refused(), "{other:?}");
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_capped() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, value.parse().unwrap());
            retry_after(&headers)
        };
        assert_eq!(with("7"), std::time::Duration::from_secs(7));
        assert_eq!(with("3600"), RETRY_AFTER_MAX);
        assert_eq!(with("18446744073709551615"), RETRY_AFTER_MAX, "no overflow downstream");
        assert_eq!(with("Wed, 21 Oct 2015 07:28:00 GMT"), DEFAULT_RETRY_AFTER);
        assert_eq!(retry_after(&HeaderMap::new()), DEFAULT_RETRY_AFTER);
    }

    #[test]
    fn only_https_urls_and_loopback_http_may_be_called() {
        for allowed in [
            "https://hooks.slack.com/services/T0/B0/X",
            "https://slack.com/api",
            "http://127.0.0.1:4000/api",
            "http://127.1:4000/services/x",
            "http://localhost:4000/api",
            "http://[::1]:4000/api",
        ] {
            assert_eq!(check_url(allowed).map_err(|e| e.to_string()), Ok(()), "{allowed}");
        }
        for refused in [
            "http://hooks.slack.com/services/T0/B0/X",
            "http://10.0.0.1/api",
            "http://0.0.0.0:4000/api",
            "http://localhost.example.com/api",
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
            "hooks.slack.com/services/T0/B0/X",
            "",
        ] {
            let error = check_url(refused).unwrap_err();
            assert!(matches!(error, SlackError::RefusedUrl(_)), "{refused}: {error:?}");
            assert!(!error.is_retryable());
            if !refused.is_empty() {
                assert!(!error.to_string().contains(refused), "the URL is never shown: {error}");
            }
        }
    }
}
