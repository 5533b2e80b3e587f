//! Injected latency, throttling and internal errors, as the SDK's retry logic sees them.

use std::time::{Duration, Instant};

use aws_sdk_codeconnections::error::ProvideErrorMetadata;
use aws_sdk_codeconnections::types::SyncConfigurationType;
use syncwarden_emulator::{Emulator, Faults};

use crate::support;

#[tokio::test]
async fn throttling_is_retried_three_times_then_surfaced() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    emulator.set_faults(Faults { throttle_rate: 1.0, ..Faults::default() });
    let cc = support::codeconnections(&emulator.url());
    let err = cc
        .get_sync_blocker_summary()
        .sync_type(SyncConfigurationType::CfnStackSync)
        .resource_name("payments-api")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.as_service_error().map(|e| e.is_throttling_exception()), Some(true), "{err:?}");
    assert_eq!(emulator.calls()["GetSyncBlockerSummary"], 3);

    // CodePipeline does not model ThrottlingException on these operations; the SDK still
    // classifies the code as throttling and retries.
    let cp = support::codepipeline(&emulator.url());
    let err = cp.get_pipeline_state().name("payments-release").send().await.unwrap_err();
    assert_eq!(err.as_service_error().and_then(|e| e.code()), Some("ThrottlingException"));
    assert_eq!(emulator.calls()["GetPipelineState"], 3);
}

#[tokio::test]
async fn internal_errors_are_retried() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    emulator.set_faults(Faults { error_rate: 1.0, seed: Some(7), ..Faults::default() });
    let cc = support::codeconnections(&emulator.url());
    let err = cc.list_repository_links().send().await.unwrap_err();
    assert_eq!(
        err.as_service_error().map(|e| e.is_internal_server_exception()),
        Some(true),
        "{err:?}"
    );
    assert_eq!(emulator.calls()["ListRepositoryLinks"], 3);

    let cp = support::codepipeline(&emulator.url());
    let err = cp.list_pipelines().send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500), "{err:?}");
    assert_eq!(emulator.calls()["ListPipelines"], 3);

    // Back to normal: the next call succeeds at once.
    emulator.set_faults(Faults::default());
    emulator.reset_calls();
    cc.list_repository_links().send().await.unwrap();
    assert_eq!(emulator.calls()["ListRepositoryLinks"], 1);
}

#[tokio::test]
async fn seeded_faults_recover_through_retries() {
    // With a 30 % error rate most calls succeed, some only after a retry; the seed makes the
    // sequence the same on every run.
    let emulator = Emulator::start(support::demo()).await.unwrap();
    emulator.set_faults(Faults { error_rate: 0.3, seed: Some(11), ..Faults::default() });
    let cc = support::codeconnections(&emulator.url());
    let mut ok = 0;
    for _ in 0..10 {
        if cc.list_connections().send().await.is_ok() {
            ok += 1;
        }
    }
    let calls = emulator.calls()["ListConnections"];
    assert!(ok >= 8, "{ok} of 10 succeeded");
    assert!(calls > 10, "some requests were retried: {calls}");
}

#[tokio::test]
async fn latency_delays_every_call_and_overlaps() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    emulator.set_faults(Faults { latency_ms: 300, ..Faults::default() });
    let cc = support::codeconnections(&emulator.url());
    let started = Instant::now();
    cc.list_repository_links().send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));

    let started = Instant::now();
    let calls = (0..4).map(|_| {
        let cc = cc.clone();
        async move { cc.list_connections().send().await }
    });
    for result in futures_join_all(calls).await {
        result.unwrap();
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300));
    assert!(elapsed < Duration::from_millis(1200), "sleeps overlap: {elapsed:?}");
}

/// Runs futures concurrently on the test runtime (no futures-util needed).
async fn futures_join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// Forces `error` on `operation` through the admin API, as a test outside Rust would.
async fn force(emulator: &Emulator, operation: &str, error: &str) {
    let body = format!(r#"{{"errors": {{"{operation}": {{"error": "{error}"}}}}}}"#);
    let (status, text) = support::http(&emulator.url(), "PUT", "/admin/faults", &body).await;
    assert_eq!(status, 204, "{text}");
}

#[tokio::test]
async fn forced_errors_arrive_typed_with_the_models_status_and_message() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cc = support::codeconnections(&emulator.url());

    force(&emulator, "GetSyncBlockerSummary", "AccessDeniedException").await;
    let err = cc
        .get_sync_blocker_summary()
        .sync_type(SyncConfigurationType::CfnStackSync)
        .resource_name("payments-api")
        .send()
        .await
        .unwrap_err();
    let service = err.as_service_error().unwrap();
    assert!(service.is_access_denied_exception(), "{err:?}");
    assert!(service.message().unwrap().contains("codeconnections:GetSyncBlockerSummary"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    assert_eq!(emulator.calls()["GetSyncBlockerSummary"], 1, "a 403 is not retried");
    // Only the named operation fails.
    cc.list_repository_links().send().await.unwrap();

    force(&emulator, "ListRepositoryLinks", "ConcurrentModificationException").await;
    let err = cc.list_repository_links().send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_concurrent_modification_exception(), "{err:?}");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(409));

    force(&emulator, "GetConnection", "ResourceUnavailableException").await;
    let err = cc.get_connection().connection_arn(support::CONNECTION_ARN).send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_resource_unavailable_exception(), "{err:?}");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));

    // A name the operation's model does not list is refused, naming the ones it does.
    let (status, text) = support::http(
        &emulator.url(),
        "PUT",
        "/admin/faults",
        r#"{"errors": {"GetConnection": {"error": "AccessDeniedException"}}}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("ResourceUnavailableException"), "{text}");
}

#[tokio::test]
async fn a_rate_limit_throttles_the_excess_like_an_account_quota() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let (status, text) = support::http(
        &emulator.url(),
        "PUT",
        "/admin/faults",
        r#"{"rate_limits": {"ListConnections": {"per_second": 0.001, "burst": 2}}}"#,
    )
    .await;
    assert_eq!(status, 204, "{text}");
    let cc = support::codeconnections(&emulator.url());
    cc.list_connections().send().await.unwrap();
    cc.list_connections().send().await.unwrap();
    let err = cc.list_connections().send().await.unwrap_err();
    assert_eq!(err.as_service_error().and_then(|e| e.code()), Some("ThrottlingException"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(429));
    // The SDK retried the throttled call (3 attempts), and every retry was throttled too.
    assert_eq!(emulator.calls()["ListConnections"], 5);
    // Other operations have their own quota.
    cc.list_repository_links().send().await.unwrap();
}
