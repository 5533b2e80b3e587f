//! `auto-resolve-blocker`: resolves a Git sync blocker when, and only when, the policy says it
//! is safe. Invoked by the poller's "Sync Blocker Detected" event, or by hand with
//! `{"stack": …, "blockerId": …, "reason": …, "dryRun": …}`.
//!
//! Design sentence: find the blocker, gather the facts, let the policy decide, act only on
//! Resolve in enforce mode (under a lock), and record the decision either way.

use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::value::RawValue;
use shared::clients::{ControlPlane, Stacks};
use shared::config::{Env, HistoryConfig};
use shared::resolve::{ResolveRequest, Resolver};
use shared::{HistoryStore, aws};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda();
    let env = Env::process();
    let store_config = HistoryConfig::from_env(&env)?;
    let policy = shared::resolve::PolicyConfig::from_env(&env)?;
    // Built once per container and shared by every invocation.
    let sdk = aws::load().await;
    let control = ControlPlane::new(aws::codeconnections(&sdk), aws::codepipeline(&sdk));
    let store =
        HistoryStore::new(aws::dynamodb(&sdk), store_config.table_name, store_config.retention);
    let resolver = Resolver::new(control, Stacks::new(aws::cloudformation(&sdk)), store, policy);
    let resolver = &resolver;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| async move {
        let request =
            ResolveRequest::parse(event.payload.get().as_bytes()).map_err(Diagnostic::from)?;
        resolver.handle(&request).await.map_err(Diagnostic::from)
    }))
    .await
}
