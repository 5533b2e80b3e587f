//! The admin API over plain HTTP, and the protocol envelope rules checked with raw requests.

use aws_sdk_codeconnections::types::SyncConfigurationType;
use ciborium::Value;
use syncwarden_emulator::cbor::{CborMap, encode};
use syncwarden_emulator::{Emulator, Scenario};

use crate::support::{self, http, raw_post};

#[tokio::test]
async fn put_scenario_and_read_calls_over_http() {
    let emulator = Emulator::start(Scenario::default()).await.unwrap();
    let url = emulator.url();
    let cc = support::codeconnections(&url);
    assert!(cc.list_repository_links().send().await.unwrap().repository_links().is_empty());

    let demo = std::fs::read_to_string(support::demo_path()).unwrap();
    let (status, body) = http(&url, "PUT", "/admin/scenario", &demo).await;
    assert_eq!(status, 204, "{body}");
    let links = cc.list_repository_links().send().await.unwrap();
    assert_eq!(links.repository_links().len(), 1);

    let (status, body) = http(&url, "GET", "/admin/scenario", "").await;
    assert_eq!(status, 200);
    let round_trip: Scenario = serde_json::from_str(&body).unwrap();
    assert_eq!(round_trip.stacks, support::demo().stacks);

    let (status, body) = http(&url, "GET", "/admin/calls", "").await;
    assert_eq!(status, 200);
    let calls: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(calls, serde_json::json!({"ListRepositoryLinks": 2}));

    let (status, _) = http(&url, "DELETE", "/admin/calls", "").await;
    assert_eq!(status, 204);
    assert!(emulator.calls().is_empty());

    // Faults over HTTP; the admin API itself is never faulted.
    let (status, _) = http(&url, "PUT", "/admin/faults", r#"{"throttle_rate": 1.0}"#).await;
    assert_eq!(status, 204);
    let (status, _) = http(&url, "GET", "/admin/calls", "").await;
    assert_eq!(status, 200);
    let err = cc
        .get_sync_blocker_summary()
        .sync_type(SyncConfigurationType::CfnStackSync)
        .resource_name("payments-api")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.as_service_error().map(|e| e.is_throttling_exception()), Some(true));

    let (status, body) =
        http(&url, "PUT", "/admin/scenario", r#"{"stacks": {"x": {"desired_sha": 5}}}"#).await;
    assert_eq!(status, 400);
    assert!(body.contains("stacks.x.desired_sha"), "{body}");
}

fn blocker_summary_request() -> Vec<u8> {
    encode(
        &CborMap::new()
            .text("SyncType", "CFN_STACK_SYNC")
            .text("ResourceName", "payments-api")
            .build(),
    )
}

fn error_type(body: &[u8]) -> String {
    let value: Value = ciborium::from_reader(body).unwrap();
    let Value::Map(entries) = value else { panic!("map expected") };
    entries
        .into_iter()
        .find_map(|(k, v)| match (k, v) {
            (Value::Text(k), Value::Text(v)) if k == "__type" => Some(v),
            _ => None,
        })
        .unwrap()
}

#[tokio::test]
async fn rpc_v2_envelope_rules() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let url = emulator.url();
    let cbor = [("content-type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")];

    // The namespaced service name routes too, and answers with the protocol headers.
    let (status, head, body) = raw_post(
        &url,
        "/service/com.amazonaws.codeconnections.CodeConnections_20231201/operation/GetSyncBlockerSummary",
        &cbor,
        &blocker_summary_request(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/cbor"), "{head}");
    assert!(head.contains("smithy-protocol: rpc-v2-cbor"), "{head}");
    assert!(!body.is_empty());

    let path = "/service/CodeConnections_20231201/operation/GetSyncBlockerSummary";
    let (status, _, body) = raw_post(
        &url,
        path,
        &[cbor[0], cbor[1], ("x-amz-target", "CodeConnections_20231201.GetSyncBlockerSummary")],
        &blocker_summary_request(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_type(&body), "com.amazonaws.codeconnections#InvalidInputException");

    let (status, _, body) = raw_post(&url, path, &cbor, b"\xbf\x63abc").await;
    assert_eq!(status, 400);
    assert_eq!(error_type(&body), "com.amazonaws.codeconnections#InvalidInputException");

    let missing = encode(&CborMap::new().text("SyncType", "CFN_STACK_SYNC").build());
    let (status, _, body) = raw_post(&url, path, &cbor, &missing).await;
    assert_eq!(status, 400);
    assert_eq!(error_type(&body), "com.amazonaws.codeconnections#InvalidInputException");

    let (status, _, body) = raw_post(
        &url,
        "/service/CodeConnections_20231201/operation/DeleteEverything",
        &cbor,
        &blocker_summary_request(),
    )
    .await;
    assert_eq!(status, 404);
    assert!(error_type(&body).ends_with("UnknownOperationException"));

    // A definite-length map decodes as well as the SDK's indefinite ones; and the SDK's
    // view of the same resource matches.
    let cc = support::codeconnections(&url);
    let out = cc
        .get_sync_blocker_summary()
        .sync_type(SyncConfigurationType::CfnStackSync)
        .resource_name("payments-api")
        .send()
        .await
        .unwrap();
    assert_eq!(out.sync_blocker_summary().unwrap().latest_blockers().len(), 1);
}

#[tokio::test]
async fn json_protocol_rejects_unknown_targets() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let (status, head, body) = raw_post(
        &emulator.url(),
        "/",
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "CodePipeline_20150709.DeletePipeline"),
        ],
        br#"{"name":"payments-release"}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(head.contains("application/x-amz-json-1.1"));
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["__type"], "UnknownOperationException");

    let (status, _, body) = raw_post(
        &emulator.url(),
        "/",
        &[("x-amz-target", "CodePipeline_20150709.GetPipelineState")],
        b"[1,2",
    )
    .await;
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["__type"], "ValidationException");
}

#[tokio::test]
async fn hostile_bodies_get_errors_not_panics() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let url = emulator.url();
    let cc_path = "/service/CodeConnections_20231201/operation/GetSyncBlockerSummary";
    let cp_target = [("x-amz-target", "CodePipeline_20150709.GetPipelineState")];
    let mut bodies: Vec<Vec<u8>> = vec![
        // Lengths far beyond the body: a byte string, a text string, an array, a map.
        b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        b"\x7b\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        b"\xbb\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        // Deep nesting.
        vec![0x81; 100_000],
        [b"[".repeat(100_000), b"]".repeat(100_000)].concat(),
        // Wrong member types.
        encode(
            &CborMap::new()
                .value("SyncType", Value::Integer(3.into()))
                .value("ResourceName", Value::Bytes(vec![1, 2]))
                .build(),
        ),
        br#"{"name": 5}"#.to_vec(),
    ];
    let cc_json_target = [(
        "X-Amz-Target",
        "com.amazonaws.codeconnections.CodeConnections_20231201.GetSyncBlockerSummary",
    )];
    let mut rng = fastrand::Rng::with_seed(42);
    for _ in 0..100 {
        let len = rng.usize(0..64);
        bodies.push((0..len).map(|_| rng.u8(..)).collect());
    }
    for body in &bodies {
        let (status, _, _) = raw_post(&url, cc_path, &[], body).await;
        assert!(status == 400 || status == 200, "{status} for {body:?}");
        let (status, _, _) = raw_post(&url, "/", &cp_target, body).await;
        assert!(status == 400 || status == 200, "{status} for {body:?}");
        // awsJson1_0 CodeConnections shares the operations but has its own decoder.
        let (status, _, _) = raw_post(&url, "/", &cc_json_target, body).await;
        assert!(status == 400 || status == 404 || status == 200, "{status} for {body:?}");
    }
    // Still serving.
    let cc = support::codeconnections(&url);
    cc.list_repository_links().send().await.unwrap();
}
