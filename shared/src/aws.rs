//! AWS SDK configuration, loaded once per process.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the standard AWS configuration chain (environment, profile, container/instance role).
///
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` are honoured, which is how local runs and
/// tests point every client at loopback emulators.
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// A DynamoDB client from `config`.
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}
