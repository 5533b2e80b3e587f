//! `poller`: on a schedule, reconciles every Git-synced stack, blocker, repository branch,
//! watched pipeline and connection with what the AWS APIs say, and records what events missed.
//!
//! Design sentence: discover the fleet, read each target with bounded concurrency, fold what
//! was read through the same reconcile as the event handlers (writing only what changed),
//! announce new blockers, and stop before the deadline so the next run resumes.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use shared::clients::{BlockerEmitter, ControlPlane};
use shared::config::{Env, HistoryConfig};
use shared::lambda::deadline_from_epoch_ms;
use shared::poll::{PollConfig, Poller};
use shared::{HistoryStore, aws};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda();
    let env = Env::process();
    let store_config = HistoryConfig::from_env(&env)?;
    let poll_config = PollConfig::from_env(&env)?;
    // Built once per container and shared by every invocation.
    let sdk = aws::load().await;
    let control = ControlPlane::new(aws::codeconnections(&sdk), aws::codepipeline(&sdk));
    let store =
        HistoryStore::new(aws::dynamodb(&sdk), store_config.table_name, store_config.retention);
    let emitter =
        env.raw("EVENT_BUS_NAME").map(|bus| BlockerEmitter::new(aws::eventbridge(&sdk), bus));
    let poller = Poller::new(control, store, emitter, poll_config);
    let poller = &poller;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        poller.run(deadline_from_epoch_ms(event.context.deadline)).await
    }))
    .await
}
