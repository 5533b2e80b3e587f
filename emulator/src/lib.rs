//! A local emulator of the AWS control-plane APIs syncwarden calls: CodeConnections Git sync
//! (Smithy RPC v2 CBOR and awsJson1_0), CodePipeline (awsJson1_1) and CloudFormation
//! `DescribeStacks` (awsQuery). The real AWS SDK clients talk to it
//! through `endpoint_url`; tests drive its state through [`Emulator`] or the `/admin` API.

pub mod cbor;
pub mod error;
pub mod faults;
pub mod scenario;
pub mod slack;
pub mod store_faults;

mod admin;
mod cloudformation;
mod codeconnections;
mod codepipeline;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use tokio::sync::oneshot;

pub use error::{ApiError, Service};
pub use faults::{Faults, FaultsError, ForcedError, RateLimit};
pub use scenario::{Scenario, ScenarioLoadError};
pub use slack::SlackServer;
pub use store_faults::{StoreFaultProxy, StoreFaults};

/// State shared by every request handler.
pub(crate) struct Shared {
    pub(crate) scenario: Mutex<Scenario>,
    pub(crate) faults: faults::FaultInjector,
    pub(crate) calls: Mutex<BTreeMap<String, u64>>,
}

pub(crate) type SharedState = Arc<Shared>;

impl Shared {
    /// Counts one protocol request (faulted ones included).
    pub(crate) fn count(&self, operation: &str) {
        *lock(&self.calls).entry(operation.to_owned()).or_default() += 1;
    }
}

/// Locks a mutex, recovering the data if a panicking holder poisoned it: every critical
/// section here leaves the state consistent, so the emulator keeps serving.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running emulator on 127.0.0.1; dropping it shuts the server down.
pub struct Emulator {
    addr: SocketAddr,
    shared: SharedState,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Emulator {
    /// Binds 127.0.0.1 on a free port and serves in a background tokio task until dropped.
    pub async fn start(scenario: Scenario) -> std::io::Result<Emulator> {
        Self::start_on(0, scenario).await
    }

    /// Binds 127.0.0.1:`port` (0 picks a free one) and serves until dropped.
    pub async fn start_on(port: u16, scenario: Scenario) -> std::io::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            scenario: Mutex::new(scenario),
            faults: faults::FaultInjector::new(Faults::default()),
            calls: Mutex::new(BTreeMap::new()),
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = router(shared.clone());
        tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                // Fires when the Emulator is dropped (the sender goes away).
                let _ = stopped.await;
            });
            if let Err(e) = serving.await {
                tracing::error!(error = %e, "emulator server stopped");
            }
        });
        Ok(Emulator { addr, shared, shutdown: Some(shutdown) })
    }

    /// The base URL to pass as `endpoint_url`, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Changes the scenario while the server runs.
    pub fn update(&self, f: impl FnOnce(&mut Scenario)) {
        f(&mut lock(&self.shared.scenario));
    }

    /// A copy of the current scenario (including changes made by requests).
    pub fn scenario(&self) -> Scenario {
        lock(&self.shared.scenario).clone()
    }

    /// Replaces the injected faults (and reseeds their RNG).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.faults.set(faults);
    }

    /// Protocol requests received so far, by operation name.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        lock(&self.shared.calls).clone()
    }

    /// Forgets the call counts.
    pub fn reset_calls(&self) {
        lock(&self.shared.calls).clear();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// All routes: RPC v2 by path, awsJson by `X-Amz-Target` or awsQuery by form `Action` on `/`,
/// and the admin API.
fn router(shared: SharedState) -> Router {
    Router::new()
        .route("/service/{service}/operation/{operation}", post(codeconnections::serve))
        .route("/", post(serve_root))
        .route("/admin/scenario", get(admin::get_scenario).put(admin::put_scenario))
        .route("/admin/faults", get(admin::get_faults).put(admin::put_faults))
        .route("/admin/calls", get(admin::get_calls).delete(admin::delete_calls))
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such route\n") })
        .with_state(shared)
}

/// `POST /`: by the `X-Amz-Target` prefix, awsJson1_0 (CodeConnections, either service name)
/// or awsJson1_1 (CodePipeline, which also answers unknown targets); awsQuery (CloudFormation)
/// when there is no target and the body is a form naming an `Action`; else CodePipeline's
/// answer to a request without a target.
async fn serve_root(state: State<SharedState>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    if let Some(operation) = target.and_then(codeconnections::json_operation) {
        let operation = operation.to_owned();
        return codeconnections::serve_json(state.0, &operation, body).await;
    }
    if !headers.contains_key("x-amz-target")
        && let Some(query) = cloudformation::Query::parse(&body)
    {
        return cloudformation::serve(state.0, query).await;
    }
    codepipeline::serve(state, headers, body).await
}
