//! AWS SDK configuration, loaded once per process.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};

/// The longest one HTTP attempt may take. Every call syncwarden makes is a small read or write
/// that AWS answers in milliseconds; an attempt still silent after this is a stuck connection,
/// and the SDK's retry (a new attempt) is the cure, not more waiting.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest one operation may take, its retries and their backoff included. Without it a
/// throttled or stuck call could hold an invocation until Lambda kills it, with no error
/// recorded; with it the caller gets an error it can record or report, well inside the
/// shortest function timeout (30 s for the recorders, 60 s for the notifier).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(25);

/// Establishing a connection (TCP and TLS) to a regional endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The timeouts every client built from [`load`] carries.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The standard configuration chain (environment, profile, container/instance role) with
/// [`timeouts`]. Tools that set more (a region from a flag) start from this.
///
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` are honoured, which is how local runs and
/// tests point every client at loopback emulators.
pub fn loader() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts())
}

/// Loads [`loader`]'s configuration.
pub async fn load() -> SdkConfig {
    loader().load().await
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

    use std::time::Instant;

    use aws_config::Region;
    use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};

    use super::*;

    /// The loader with everything that would otherwise be looked up (region, credentials)
    /// given, so the test reads no profile and probes no metadata address.
    async fn offline(loader: ConfigLoader, endpoint: &str) -> SdkConfig {
        loader
            .region(Region::new("eu-west-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "aws-tests",
            )))
            .endpoint_url(endpoint)
            .load()
            .await
    }

    #[tokio::test]
    async fn every_client_carries_the_attempt_and_operation_timeouts() {
        let config = offline(loader(), "http://127.0.0.1:9").await;
        let timeouts = config.timeout_config().expect("timeouts are set");
        assert_eq!(timeouts.connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(timeouts.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
        assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
        // The clients are built from this config, so they inherit it.
        let client = dynamodb(&config);
        let client_timeouts = client.config().timeout_config().expect("client timeouts");
        assert_eq!(client_timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
        assert!(ATTEMPT_TIMEOUT < OPERATION_TIMEOUT, "an attempt fits in an operation");
    }

    /// A server that accepts connections and never answers: the call must end by the
    /// operation timeout, retries included, with an error (not hang). Short timeouts keep the
    /// test fast; the wiring is the same as [`loader`]'s.
    #[tokio::test]
    async fn a_silent_endpoint_fails_the_call_by_the_operation_timeout() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        // Ends with the test process; its sockets stay open and unanswered until then.
        std::thread::spawn(move || {
            let mut open = Vec::new();
            for socket in listener.incoming() {
                open.push(socket);
            }
        });
        let short = TimeoutConfig::builder()
            .operation_attempt_timeout(Duration::from_millis(200))
            .operation_timeout(Duration::from_millis(700))
            .build();
        let config = offline(
            aws_config::defaults(BehaviorVersion::latest()).timeout_config(short),
            &endpoint,
        )
        .await;
        let started = Instant::now();
        let error = dynamodb(&config).list_tables().send().await.unwrap_err();
        let took = started.elapsed();
        assert!(took < Duration::from_secs(3), "took {took:?}");
        assert!(matches!(error, aws_sdk_dynamodb::error::SdkError::TimeoutError(_)), "{error:?}");
    }
}
