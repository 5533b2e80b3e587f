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

/// A CodeConnections client from `config` (`AWS_ENDPOINT_URL_CODECONNECTIONS` to redirect).
pub fn codeconnections(config: &SdkConfig) -> aws_sdk_codeconnections::Client {
    aws_sdk_codeconnections::Client::new(config)
}

/// A CodePipeline client from `config` (`AWS_ENDPOINT_URL_CODEPIPELINE` to redirect).
pub fn codepipeline(config: &SdkConfig) -> aws_sdk_codepipeline::Client {
    aws_sdk_codepipeline::Client::new(config)
}

/// An EventBridge client from `config` (`AWS_ENDPOINT_URL_EVENTBRIDGE` to redirect).
pub fn eventbridge(config: &SdkConfig) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(config)
}

/// An SNS client from `config` (`AWS_ENDPOINT_URL_SNS` to redirect).
pub fn sns(config: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(config)
}

/// A Secrets Manager client from `config` (`AWS_ENDPOINT_URL_SECRETS_MANAGER` to redirect).
pub fn secretsmanager(config: &SdkConfig) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(config)
}

/// A CloudFormation client from `config` (`AWS_ENDPOINT_URL_CLOUDFORMATION` to redirect).
pub fn cloudformation(config: &SdkConfig) -> aws_sdk_cloudformation::Client {
    aws_sdk_cloudformation::Client::new(config)
}
