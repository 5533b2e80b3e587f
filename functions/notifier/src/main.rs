//! `notifier`: fed by the history table's DynamoDB Stream (state items only), it tells the
//! right people on Slack and SNS when a resource fails, while it stays red, and when it is
//! green again.
//!
//! Design sentence: for each state change, in order, advance the resource's incident and
//! deliver its notice once per routed channel; report the first record that fails so the
//! stream retries from there.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use shared::clients::{SecretCache, SlackClient, SnsPublisher};
use shared::config::{Env, NotifierConfig};
use shared::lambda::deadline_from_epoch_ms;
use shared::notify::deliver::Notifier;
use shared::notify::stream::handle_batch;
use shared::{HistoryStore, aws};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda();
    let config = NotifierConfig::from_env(&Env::process())?;
    // Built once per container. Secrets are read on first use and again after their TTL, or
    // at once when Slack refuses a rotated one.
    let sdk = aws::load().await;
    let store = HistoryStore::new(aws::dynamodb(&sdk), config.table_name, Default::default());
    let secrets = SecretCache::new(aws::secretsmanager(&sdk));
    let sns = SnsPublisher::new(aws::sns(&sdk));
    let slack = SlackClient::new(config.slack_api_base)?;
    let notifier = Notifier::new(store, config.routing, secrets, slack, sns, config.incidents);
    let notifier = &notifier;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::dynamodb::Event>| async move {
            let deadline = deadline_from_epoch_ms(event.context.deadline);
            Ok::<_, Error>(handle_batch(notifier, event.payload, deadline).await)
        },
    ))
    .await
}
