//! The integration-test harness: real AWS SDK clients pointed at the local servers that
//! `make test` starts on loopback (moto's server for DynamoDB).
//!
//! Each test gets a table of its own, so tests run in parallel without seeing each other.
#![allow(clippy::expect_used, clippy::unwrap_used)] // test support: a failure here is a test failure

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use shared::store::{HistoryStore, Retention, TABLE};

/// The variable `make test` sets to the local DynamoDB-compatible server.
pub const ENDPOINT_VAR: &str = "SYNCWARDEN_TEST_DYNAMODB";

/// The local server's endpoint; only loopback is ever accepted.
pub fn endpoint() -> String {
    let endpoint = std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set: the integration tests need the local DynamoDB-compatible \
             server. Run them with `make test`, which starts it on 127.0.0.1."
        )
    });
    assert!(
        endpoint.starts_with("http://127.0.0.1:"),
        "{ENDPOINT_VAR}={endpoint}: tests only talk to loopback"
    );
    endpoint
}

/// Counts the SDK operations sent, by name (`PutItem`, `GetItem`, …).
#[derive(Debug, Default, Clone)]
pub struct OperationCounter(Arc<Mutex<BTreeMap<String, usize>>>);

impl OperationCounter {
    /// How many times `operation` was called since the last reset (retries not counted).
    pub fn count(&self, operation: &str) -> usize {
        self.0.lock().unwrap().get(operation).copied().unwrap_or(0)
    }

    /// DynamoDB writes (PutItem, UpdateItem, DeleteItem, batch and transactional writes).
    pub fn writes(&self) -> usize {
        ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"]
            .iter()
            .map(|op| self.count(op))
            .sum()
    }

    /// Forgets everything counted so far.
    pub fn reset(&self) {
        self.0.lock().unwrap().clear();
    }
}

impl Intercept for OperationCounter {
    fn name(&self) -> &'static str {
        "OperationCounter"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            *self.0.lock().unwrap().entry(metadata.name().to_owned()).or_default() += 1;
        }
        Ok(())
    }
}

/// SDK configuration for loopback: static dummy credentials, a fixed region, the local endpoint.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::new("testing", "testing", None, None, "syncwarden-tests"),
        ))
        .endpoint_url(endpoint)
        .build()
}

/// Retries fast: the same attempts as the poller's, with millisecond backoffs, so fault
/// tests exercise the SDK's retries without waiting seconds for them.
pub fn fast_retries() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard()
        .with_max_attempts(5)
        .with_initial_backoff(std::time::Duration::from_millis(5))
        .with_max_backoff(std::time::Duration::from_millis(50))
}

/// The poller's control plane on the emulator at `url`, with the real SDK clients.
pub fn control_plane(url: &str) -> shared::clients::ControlPlane {
    let mut config = sdk_config(url).into_builder();
    config.set_retry_config(Some(fast_retries()));
    let config = config.build();
    shared::clients::ControlPlane::new(
        aws_sdk_codeconnections::Client::new(&config),
        aws_sdk_codepipeline::Client::new(&config),
    )
}

/// A CloudFormation client on the emulator at `url` (it serves `DescribeStacks`).
pub fn cloudformation(url: &str) -> aws_sdk_cloudformation::Client {
    let mut config = sdk_config(url).into_builder();
    config.set_retry_config(Some(fast_retries()));
    aws_sdk_cloudformation::Client::new(&config.build())
}

/// An EventBridge client on the local DynamoDB-compatible server (moto serves both).
pub fn eventbridge() -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(&sdk_config(&endpoint()))
}

/// An SQS client on the local server.
pub fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&sdk_config(&endpoint()))
}

/// A DynamoDB client on the local server, counting its operations.
pub fn dynamodb(counter: &OperationCounter) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config(&endpoint()))
        .interceptor(counter.clone())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A unique table name for one test.
pub fn table_name(test: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let test: String =
        test.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect();
    format!("sw-{test}-{}-{n}", std::process::id())
}

/// A fresh table, created from the one schema, and a store on it; the counter starts at zero.
pub struct Fixture {
    pub store: HistoryStore,
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
    pub ops: OperationCounter,
}

/// Creates a fresh table for `test`.
pub async fn fixture(test: &str) -> Fixture {
    let ops = OperationCounter::default();
    let client = dynamodb(&ops);
    let table = table_name(test);
    TABLE.create(&client, &table).await.expect("create table on the local server");
    ops.reset();
    let store = HistoryStore::new(client.clone(), table.clone(), Retention::default());
    Fixture { store, client, table, ops }
}

/// A fresh table whose store reaches the local server only through a fault proxy
/// ([`syncwarden_emulator::StoreFaultProxy`]). The table is created directly, before any fault
/// applies.
pub async fn faulty_fixture(
    test: &str,
    faults: syncwarden_emulator::StoreFaults,
) -> (Fixture, syncwarden_emulator::StoreFaultProxy) {
    let table = table_name(test);
    TABLE.create(&dynamodb(&OperationCounter::default()), &table).await.expect("create table");
    let ops = OperationCounter::default();
    let (client, proxy) = faulty_client(&ops, faults).await;
    let store = HistoryStore::new(client.clone(), table.clone(), Retention::default());
    (Fixture { store, client, table, ops }, proxy)
}

/// A DynamoDB client whose every call crosses a fault proxy in front of the local server, with
/// the SDK's default three attempts (at millisecond backoffs), counting its operations.
pub async fn faulty_client(
    ops: &OperationCounter,
    faults: syncwarden_emulator::StoreFaults,
) -> (aws_sdk_dynamodb::Client, syncwarden_emulator::StoreFaultProxy) {
    let proxy = syncwarden_emulator::StoreFaultProxy::start(&endpoint(), faults)
        .await
        .expect("start the store fault proxy");
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config(&proxy.url()))
        .retry_config(fast_retries().with_max_attempts(3))
        .interceptor(ops.clone())
        .build();
    (aws_sdk_dynamodb::Client::from_conf(config), proxy)
}

/// The repository's `events/` directory.
pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// A sample event's bytes, by path under `events/`.
pub fn sample(path: &str) -> Vec<u8> {
    std::fs::read(events_dir().join(path)).unwrap_or_else(|e| panic!("events/{path}: {e}"))
}

/// Every sample event file the recorder handles (all but `schedule/`), sorted by event time
/// (then path), as (path under `events/`, bytes).
pub fn recordable_samples() -> Vec<(String, Vec<u8>)> {
    let mut samples = Vec::new();
    for dir in ["codeconnections", "cloudformation", "codepipeline"] {
        for entry in std::fs::read_dir(events_dir().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
                samples.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    samples.sort_by_key(|(name, bytes)| {
        let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        (value["time"].as_str().unwrap_or_default().to_owned(), name.clone())
    });
    samples
}

/// Runs a function binary without `TABLE_NAME` and checks it refuses to start, saying what to
/// set. (Each function's own test passes its `CARGO_BIN_EXE_<name>`.)
pub fn assert_function_needs_table_name(binary: &str) {
    let output = std::process::Command::new(binary)
        .env_clear()
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .expect("run the function binary");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "environment variable TABLE_NAME is not set: the DynamoDB table that holds the sync history"
        ),
        "{stderr}"
    );
}

/// An SQS queue on the local server: its URL and ARN.
async fn queue(name: &str) -> (String, String) {
    let sqs = sqs();
    let url =
        sqs.create_queue().queue_name(name).send().await.expect("queue").queue_url.expect("url");
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn).cloned())
        .expect("queue arn");
    (url, arn)
}

/// A custom EventBridge bus on the local server with a rule that copies every event to an SQS
/// queue, so a test can read back what was put on the bus.
pub struct TestBus {
    pub name: String,
    queue_url: String,
}

/// Creates a bus named after `test`, a catch-all rule, and its queue.
pub async fn blocker_bus(test: &str) -> TestBus {
    let events = eventbridge();
    let name = table_name(test);
    events.create_event_bus().name(&name).send().await.expect("create bus");
    let (queue_url, queue_arn) = queue(&name).await;
    events
        .put_rule()
        .name(&name)
        .event_bus_name(&name)
        .event_pattern(r#"{"source": ["syncwarden.poller"]}"#)
        .send()
        .await
        .expect("put rule");
    events
        .put_targets()
        .rule(&name)
        .event_bus_name(&name)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("put targets");
    TestBus { name, queue_url }
}

impl TestBus {
    /// The events the rule delivered since the last call, as JSON (taken off the queue).
    pub async fn received(&self) -> Vec<serde_json::Value> {
        let sqs = sqs();
        let output = sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        let mut events = Vec::new();
        for message in output.messages.unwrap_or_default() {
            events.push(
                serde_json::from_str(message.body().unwrap_or_default()).expect("event JSON"),
            );
            if let Some(handle) = message.receipt_handle() {
                let delete = sqs.delete_message().queue_url(&self.queue_url).receipt_handle(handle);
                delete.send().await.expect("delete");
            }
        }
        events
    }
}

/// A secret on the local server holding `value`; returns its ARN.
pub async fn secret(name: &str, value: &str) -> String {
    let client = aws_sdk_secretsmanager::Client::new(&sdk_config(&endpoint()));
    let name = table_name(name);
    let output = client
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .expect("create secret");
    output.arn.expect("secret arn")
}

/// A Secrets Manager client on the local server.
pub fn secretsmanager() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&sdk_config(&endpoint()))
}

/// An SNS client on the local server.
pub fn sns() -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&sdk_config(&endpoint()))
}

/// An SNS topic on the local server with an SQS queue subscribed, to read back what was
/// published.
pub struct TestTopic {
    pub arn: String,
    queue_url: String,
}

/// Creates a topic named after `test` and its subscribed queue.
pub async fn topic(test: &str) -> TestTopic {
    let name = table_name(test);
    let arn = sns().create_topic().name(&name).send().await.expect("topic").topic_arn.expect("arn");
    let (queue_url, queue_arn) = queue(&name).await;
    sns()
        .subscribe()
        .topic_arn(&arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .expect("subscribe");
    TestTopic { arn, queue_url }
}

impl TestTopic {
    /// The SNS notifications delivered since the last call (the SNS JSON envelopes).
    pub async fn received(&self) -> Vec<serde_json::Value> {
        let sqs = sqs();
        let mut all = Vec::new();
        loop {
            let output = sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive");
            let messages = output.messages.unwrap_or_default();
            if messages.is_empty() {
                return all;
            }
            for message in messages {
                all.push(
                    serde_json::from_str(message.body().unwrap_or_default()).expect("SNS JSON"),
                );
                if let Some(handle) = message.receipt_handle() {
                    let delete =
                        sqs.delete_message().queue_url(&self.queue_url).receipt_handle(handle);
                    delete.send().await.expect("delete");
                }
            }
        }
    }
}
