//! A local Slack: incoming webhooks and the Web API's `chat.postMessage` and `chat.update`,
//! over real HTTP on 127.0.0.1, recording what it accepts and failing on request.
//!
//! Credentials can be rotated the way a workspace admin does it: after
//! [`SlackServer::rotate_token`] the old bot token answers `token_revoked`, and after
//! [`SlackServer::rotate_webhook`] the old webhook answers HTTP 403 `invalid_token`.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::lock;

/// The bot token the Web API accepts until it is rotated.
const TOKEN: &str = "xoxb-test-token";
/// The webhook path [`SlackServer::webhook_url`] hands out until it is rotated (any
/// `/services/…` path that was not rotated away works).
const WEBHOOK_PATH: &str = "/services/T0000/B0000/XXXXXXXX";
/// Message timestamps start here (2025-11-21) and step by 100 µs, like Slack's.
const FIRST_TS_SECONDS: u64 = 1_763_700_000;

/// Which call a recorded message came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlackCall {
    Webhook,
    PostMessage,
    Update,
}

/// One accepted request, as recorded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SlackMessage {
    pub kind: SlackCall,
    /// `None` for webhooks (they post to the channel chosen at install).
    pub channel: Option<String>,
    /// The message's timestamp: new for posts, the edited message's for updates.
    pub ts: String,
    /// The thread the message went to (for updates: the edited message's thread).
    pub thread_ts: Option<String>,
    /// The request body as sent (for updates: the new content).
    pub body: Value,
}

/// How an injected failure answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackFailure {
    /// HTTP 429 with `Retry-After: retry_after_secs`.
    RateLimited { retry_after_secs: u64 },
    /// HTTP 500.
    ServerError,
    /// The Web API's `200 {"ok":false,"error":"ratelimited"}` with `Retry-After` (a webhook
    /// gets a plain 429 instead).
    ApiRateLimited { retry_after_secs: u64 },
    /// HTTP 302 to another path of this server (a client must not follow it).
    Redirect,
}

struct Slack {
    messages: Mutex<Vec<SlackMessage>>,
    failures: Mutex<VecDeque<SlackFailure>>,
    calls: AtomicUsize,
    posted: AtomicU64,
    credentials: Mutex<Credentials>,
}

/// The current bot token and webhook path, and the ones rotated away.
struct Credentials {
    token: String,
    revoked_tokens: Vec<String>,
    webhook_path: String,
    revoked_paths: Vec<String>,
    rotations: u64,
}

impl Default for Slack {
    fn default() -> Self {
        Slack {
            messages: Mutex::default(),
            failures: Mutex::default(),
            calls: AtomicUsize::default(),
            posted: AtomicU64::default(),
            credentials: Mutex::new(Credentials {
                token: TOKEN.to_owned(),
                revoked_tokens: Vec::new(),
                webhook_path: WEBHOOK_PATH.to_owned(),
                revoked_paths: Vec::new(),
                rotations: 0,
            }),
        }
    }
}

type Shared = Arc<Slack>;

/// A running local Slack on 127.0.0.1; dropping it stops the server.
pub struct SlackServer {
    addr: SocketAddr,
    slack: Shared,
    shutdown: Option<oneshot::Sender<()>>,
}

impl SlackServer {
    /// Binds 127.0.0.1 on a free port and serves in a background tokio task until dropped.
    pub async fn start() -> std::io::Result<SlackServer> {
        Self::start_on(0).await
    }

    /// Binds `127.0.0.1:port` (0 picks a free one).
    pub async fn start_on(port: u16) -> std::io::Result<SlackServer> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let slack = Shared::default();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = router(slack.clone());
        tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                // Fires when the SlackServer is dropped (the sender goes away).
                let _ = stopped.await;
            });
            if let Err(e) = serving.await {
                tracing::error!(error = %e, "slack emulator stopped");
            }
        });
        Ok(SlackServer { addr, slack, shutdown: Some(shutdown) })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The current incoming-webhook URL.
    pub fn webhook_url(&self) -> String {
        format!("{}{}", self.url(), lock(&self.slack.credentials).webhook_path)
    }

    /// The Web API base to give `SlackClient::new`.
    pub fn api_base(&self) -> String {
        format!("{}/api", self.url())
    }

    /// The bot token the Web API accepts now.
    pub fn token(&self) -> String {
        lock(&self.slack.credentials).token.clone()
    }

    /// Issues a new bot token and revokes the current one (it answers `token_revoked` from
    /// now on); returns the new token.
    pub fn rotate_token(&self) -> String {
        let mut credentials = lock(&self.slack.credentials);
        credentials.rotations += 1;
        let fresh = format!("{TOKEN}-{}", credentials.rotations);
        let old = std::mem::replace(&mut credentials.token, fresh.clone());
        credentials.revoked_tokens.push(old);
        fresh
    }

    /// Issues a new webhook URL and revokes the current one (it answers HTTP 403
    /// `invalid_token` from now on); returns the new URL.
    pub fn rotate_webhook(&self) -> String {
        let mut credentials = lock(&self.slack.credentials);
        credentials.rotations += 1;
        let fresh = format!("/services/T0000/B0000/ROTATED{}", credentials.rotations);
        let old = std::mem::replace(&mut credentials.webhook_path, fresh.clone());
        credentials.revoked_paths.push(old);
        format!("{}{fresh}", self.url())
    }

    /// Everything accepted so far, in order (updates are recorded as their own entries).
    pub fn messages(&self) -> Vec<SlackMessage> {
        lock(&self.slack.messages).clone()
    }

    /// The current body of message `ts`: the last update's, or the original post's.
    pub fn latest(&self, ts: &str) -> Option<Value> {
        lock(&self.slack.messages).iter().rev().find(|m| m.ts == ts).map(|m| m.body.clone())
    }

    /// Makes the next `n` requests (of any route) fail this way, after failures already queued.
    pub fn fail_next(&self, n: usize, failure: SlackFailure) {
        lock(&self.slack.failures).extend(std::iter::repeat_n(failure, n));
    }

    /// Requests received so far, failed ones included.
    pub fn calls(&self) -> usize {
        self.slack.calls.load(Ordering::SeqCst)
    }
}

impl Drop for SlackServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

fn router(slack: Shared) -> Router {
    // What was received, for scripts (the demo prints it); never counted or failed.
    let admin = Router::new()
        .route(
            "/admin/messages",
            axum::routing::get(|State(slack): State<Shared>| async move {
                axum::Json(lock(&slack.messages).clone())
            }),
        )
        .with_state(slack.clone());
    Router::new()
        .route("/services/{*rest}", post(webhook))
        .route("/api/chat.postMessage", post(post_message))
        .route("/api/chat.update", post(update))
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such route\n") })
        .layer(middleware::from_fn_with_state(slack.clone(), count_and_fail))
        .with_state(slack)
        .merge(admin)
}

/// Counts every request and answers the next queued failure instead of the route.
async fn count_and_fail(State(slack): State<Shared>, request: Request, next: Next) -> Response {
    slack.calls.fetch_add(1, Ordering::SeqCst);
    let failure = lock(&slack.failures).pop_front();
    let web_api = request.uri().path().starts_with("/api/");
    match failure {
        Some(SlackFailure::ApiRateLimited { retry_after_secs }) if web_api => {
            let mut response = api_error("ratelimited");
            if let Ok(value) = retry_after_secs.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Some(
            SlackFailure::RateLimited { retry_after_secs }
            | SlackFailure::ApiRateLimited { retry_after_secs },
        ) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_secs.to_string())],
            "rate_limited",
        )
            .into_response(),
        Some(SlackFailure::ServerError) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "rollup_error").into_response()
        }
        Some(SlackFailure::Redirect) => {
            (StatusCode::FOUND, [(header::LOCATION, "/services/T0000/B0000/REDIRECTED")], "")
                .into_response()
        }
        None => next.run(request).await,
    }
}

/// `POST /services/…`: 200 `ok`; 403 `invalid_token` for a rotated-away URL; 400
/// `invalid_payload` without `text` or `blocks`.
async fn webhook(State(slack): State<Shared>, uri: axum::http::Uri, body: Bytes) -> Response {
    if lock(&slack.credentials).revoked_paths.iter().any(|p| p == uri.path()) {
        return (StatusCode::FORBIDDEN, "invalid_token").into_response();
    }
    let Some(body) = parse(&body).filter(has_content) else {
        return (StatusCode::BAD_REQUEST, "invalid_payload").into_response();
    };
    let ts = slack.next_ts();
    slack.record(SlackMessage {
        kind: SlackCall::Webhook,
        channel: None,
        ts,
        thread_ts: None,
        body,
    });
    (StatusCode::OK, "ok").into_response()
}

/// `POST /api/chat.postMessage`: a new message (in a thread with `thread_ts`).
async fn post_message(State(slack): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let body = match api_request(&slack, &headers, &body) {
        Ok(body) => body,
        Err(error) => return api_error(error),
    };
    let Some(channel) = string(&body, "channel") else {
        return api_error("channel_not_found");
    };
    if !has_content(&body) {
        return api_error("no_text");
    }
    let ts = slack.next_ts();
    let thread_ts = string(&body, "thread_ts");
    slack.record(SlackMessage {
        kind: SlackCall::PostMessage,
        channel: Some(channel.clone()),
        ts: ts.clone(),
        thread_ts,
        body: body.clone(),
    });
    axum::Json(json!({ "ok": true, "channel": channel, "ts": ts, "message": body })).into_response()
}

/// `POST /api/chat.update`: new content for a posted message (`channel` + `ts`).
async fn update(State(slack): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let body = match api_request(&slack, &headers, &body) {
        Ok(body) => body,
        Err(error) => return api_error(error),
    };
    let (Some(channel), Some(ts)) = (string(&body, "channel"), string(&body, "ts")) else {
        return api_error("message_not_found");
    };
    let mut messages = lock(&slack.messages);
    let original = messages.iter().find(|m| {
        m.kind == SlackCall::PostMessage && m.ts == ts && m.channel.as_deref() == Some(&channel)
    });
    let Some(thread_ts) = original.map(|m| m.thread_ts.clone()) else {
        return api_error("message_not_found");
    };
    messages.push(SlackMessage {
        kind: SlackCall::Update,
        channel: Some(channel.clone()),
        ts: ts.clone(),
        thread_ts,
        body,
    });
    axum::Json(json!({ "ok": true, "channel": channel, "ts": ts })).into_response()
}

impl Slack {
    fn record(&self, message: SlackMessage) {
        lock(&self.messages).push(message);
    }

    /// A unique, increasing timestamp like `1763700000.000100`.
    fn next_ts(&self) -> String {
        let micros = (self.posted.fetch_add(1, Ordering::SeqCst) + 1) * 100;
        format!("{}.{:06}", FIRST_TS_SECONDS + micros / 1_000_000, micros % 1_000_000)
    }
}

/// Checks the bearer token and parses the JSON body, answering Slack's error names: a
/// rotated-away token is `token_revoked`, any other wrong one `invalid_auth`.
fn api_request(slack: &Slack, headers: &HeaderMap, body: &[u8]) -> Result<Value, &'static str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    {
        let credentials = lock(&slack.credentials);
        match bearer {
            Some(token) if token == credentials.token => {}
            Some(token) if credentials.revoked_tokens.iter().any(|t| t == token) => {
                return Err("token_revoked");
            }
            _ => return Err("invalid_auth"),
        }
    }
    parse(body).ok_or("invalid_json")
}

/// The Web API reports errors with HTTP 200 and `ok: false`.
fn api_error(error: &str) -> Response {
    axum::Json(json!({ "ok": false, "error": error })).into_response()
}

fn parse(body: &[u8]) -> Option<Value> {
    serde_json::from_slice::<Value>(body).ok().filter(Value::is_object)
}

fn has_content(body: &Value) -> bool {
    body.get("text").is_some_and(|t| t.as_str().is_some_and(|t| !t.is_empty()))
        || body.get("blocks").is_some_and(|b| b.as_array().is_some_and(|b| !b.is_empty()))
}

fn string(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}
