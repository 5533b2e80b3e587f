//! `pipeline-events`: Records CodePipeline pipeline, stage and action execution events.
//!
//! Design sentence: parse the EventBridge event, record it once in the history, fold it into
//! the resource's current state when it is newer. Malformed events fail without retry value
//! and are kept by the function's on-failure destination.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::value::RawValue;
use shared::config::{Env, HistoryConfig};
use shared::events::EventFamily;
use shared::{HistoryStore, Recorder};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda();
    let config = HistoryConfig::from_env(&Env::process())?;
    // Built once per container and shared by every invocation.
    let aws = shared::aws::load().await;
    let store = HistoryStore::new(shared::aws::dynamodb(&aws), config.table_name, config.retention);
    let recorder = Recorder::new(store, &[EventFamily::CodePipeline]);
    let recorder = &recorder;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| async move {
        recorder.handle(event).await
    }))
    .await
}
