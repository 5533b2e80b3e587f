//! A fault proxy in front of a DynamoDB-compatible server: it forwards the real SDK's traffic
//! and, drawn from a seedable RNG, answers some requests the way DynamoDB does when it is
//! overloaded or failing, so store failures are produced rather than assumed.
//!
//! The error bodies are DynamoDB's awsJson1_0 shapes: `ProvisionedThroughputExceededException`
//! and `ThrottlingException` (400), `InternalServerError` (500). Throttling and errors are
//! answered before the request reaches the server (it was not applied); a *lost response* is
//! answered 500 after the server applied it, the case that tests idempotency hardest.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::lock;

/// What the proxy injects, each a probability per request (0..=1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreFaults {
    /// Answer `ProvisionedThroughputExceededException` or `ThrottlingException` (half each).
    pub throttle_rate: f64,
    /// Answer `InternalServerError` without forwarding.
    pub error_rate: f64,
    /// Forward, then answer `InternalServerError`: the write happened, the client cannot know.
    pub lost_response_rate: f64,
    /// Delay added to every request.
    pub latency_ms: u64,
    /// Seed of the RNG; without one each run draws differently.
    pub seed: Option<u64>,
}

/// Why a fault configuration cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field} must be between 0 and 1, not {value}")]
pub struct StoreFaultsError {
    pub field: &'static str,
    pub value: f64,
}

impl StoreFaults {
    /// Checks that every rate is a probability.
    pub fn validate(&self) -> Result<(), StoreFaultsError> {
        for (field, value) in [
            ("throttle_rate", self.throttle_rate),
            ("error_rate", self.error_rate),
            ("lost_response_rate", self.lost_response_rate),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(StoreFaultsError { field, value });
            }
        }
        Ok(())
    }
}

/// What the proxy did with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Injected {
    Pass,
    ProvisionedThroughputExceeded,
    Throttling,
    InternalError,
    LostResponse,
}

impl Injected {
    fn name(self) -> &'static str {
        match self {
            Injected::Pass => "passed",
            Injected::ProvisionedThroughputExceeded => "ProvisionedThroughputExceededException",
            Injected::Throttling => "ThrottlingException",
            Injected::InternalError => "InternalServerError",
            Injected::LostResponse => "lost response",
        }
    }
}

struct Proxy {
    upstream: String,
    http: reqwest::Client,
    faults: Mutex<(StoreFaults, fastrand::Rng)>,
    /// Requests by what was done with them, then by DynamoDB operation.
    seen: Mutex<BTreeMap<(&'static str, String), u64>>,
}

impl Proxy {
    fn draw(&self) -> (Duration, Injected) {
        let mut guard = lock(&self.faults);
        let (faults, rng) = &mut *guard;
        let roll = rng.f64();
        let injected = if roll < faults.throttle_rate {
            if rng.bool() { Injected::ProvisionedThroughputExceeded } else { Injected::Throttling }
        } else if roll < faults.throttle_rate + faults.error_rate {
            Injected::InternalError
        } else if roll < faults.throttle_rate + faults.error_rate + faults.lost_response_rate {
            Injected::LostResponse
        } else {
            Injected::Pass
        };
        (Duration::from_millis(faults.latency_ms), injected)
    }
}

/// A running fault proxy on 127.0.0.1; dropping it stops it.
pub struct StoreFaultProxy {
    addr: SocketAddr,
    proxy: Arc<Proxy>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl StoreFaultProxy {
    /// Starts a proxy to `upstream` (e.g. `http://127.0.0.1:5000`) on a free loopback port.
    pub async fn start(upstream: &str, faults: StoreFaults) -> std::io::Result<StoreFaultProxy> {
        faults.validate().map_err(std::io::Error::other)?;
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(std::io::Error::other)?;
        let rng = rng_for(&faults);
        let proxy = Arc::new(Proxy {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http,
            faults: Mutex::new((faults, rng)),
            seen: Mutex::new(BTreeMap::new()),
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = Router::new().fallback(forward).with_state(proxy.clone());
        tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serving.await {
                tracing::error!(error = %e, "store fault proxy stopped");
            }
        });
        Ok(StoreFaultProxy { addr, proxy, shutdown: Some(shutdown) })
    }

    /// The endpoint to give the SDK client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the faults (and reseeds the RNG).
    pub fn set_faults(&self, faults: StoreFaults) -> Result<(), StoreFaultsError> {
        faults.validate()?;
        let rng = rng_for(&faults);
        *lock(&self.proxy.faults) = (faults, rng);
        Ok(())
    }

    /// How many requests got each injected fault (`passed` for none), over all operations.
    pub fn injected(&self) -> BTreeMap<&'static str, u64> {
        let mut totals = BTreeMap::new();
        for ((what, _), n) in lock(&self.proxy.seen).iter() {
            *totals.entry(*what).or_default() += n;
        }
        totals
    }

    /// Requests by outcome and DynamoDB operation (`GetItem`, `PutItem`, …).
    pub fn requests(&self) -> BTreeMap<(&'static str, String), u64> {
        lock(&self.proxy.seen).clone()
    }
}

impl Drop for StoreFaultProxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

fn rng_for(faults: &StoreFaults) -> fastrand::Rng {
    faults.seed.map(fastrand::Rng::with_seed).unwrap_or_default()
}

async fn forward(
    State(proxy): State<Arc<Proxy>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let operation = headers
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("(none)")
        .to_owned();
    let (latency, injected) = proxy.draw();
    *lock(&proxy.seen).entry((injected.name(), operation)).or_default() += 1;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match injected {
        Injected::ProvisionedThroughputExceeded => {
            return dynamodb_error(
                StatusCode::BAD_REQUEST,
                "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded. \
                 Consider increasing your provisioning level with the UpdateTable API.",
            );
        }
        Injected::Throttling => {
            return dynamodb_error(
                StatusCode::BAD_REQUEST,
                "com.amazon.coral.availability#ThrottlingException",
                "Rate of requests exceeds the allowed throughput.",
            );
        }
        Injected::InternalError => return internal_error(),
        Injected::Pass | Injected::LostResponse => {}
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut request = proxy.http.request(method, format!("{}{path}", proxy.upstream));
    for (name, value) in &headers {
        // The client sets these for the hop to the server.
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            request = request.header(name, value);
        }
    }
    let answer = match request.body(body).send().await {
        Ok(answer) => answer,
        Err(error) => {
            return (StatusCode::BAD_GATEWAY, format!("store fault proxy: {error}\n"))
                .into_response();
        }
    };
    if injected == Injected::LostResponse {
        return internal_error();
    }
    let status = answer.status();
    let mut response_headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if !matches!(name.as_str(), "content-length" | "transfer-encoding" | "connection") {
            response_headers.insert(name.clone(), value.clone());
        }
    }
    match answer.bytes().await {
        Ok(bytes) => (status, response_headers, bytes).into_response(),
        Err(error) => {
            (StatusCode::BAD_GATEWAY, format!("store fault proxy: {error}\n")).into_response()
        }
    }
}

fn internal_error() -> Response {
    dynamodb_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "com.amazonaws.dynamodb.v20120810#InternalServerError",
        "Internal server error",
    )
}

fn dynamodb_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body = serde_json::json!({"__type": error_type, "message": message}).to_string();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/x-amz-json-1.0"));
    response
}

#[cfg(test)]
mod tests {
    use super::StoreFaults;

    #[test]
    fn rates_must_be_probabilities() {
        let faults = StoreFaults { throttle_rate: 1.5, ..Default::default() };
        assert_eq!(
            faults.validate().unwrap_err().to_string(),
            "throttle_rate must be between 0 and 1, not 1.5"
        );
        assert!(StoreFaults { lost_response_rate: 0.2, ..Default::default() }.validate().is_ok());
    }
}
