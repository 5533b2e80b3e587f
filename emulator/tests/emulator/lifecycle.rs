//! Starting, stopping and the benchmark fleet.

use std::time::Duration;

use aws_sdk_codeconnections::types::SyncConfigurationType;
use syncwarden_emulator::{Emulator, Scenario};

use crate::support;

#[tokio::test]
async fn dropping_the_emulator_stops_the_server() {
    let emulator = Emulator::start(Scenario::default()).await.unwrap();
    let addr = emulator.url().trim_start_matches("http://").to_owned();
    tokio::net::TcpStream::connect(&addr).await.unwrap();
    drop(emulator);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(&addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the port still accepts connections after drop");
}

#[tokio::test]
async fn start_on_a_taken_port_fails() {
    let first = Emulator::start(Scenario::default()).await.unwrap();
    let err = Emulator::start_on(first.addr().port(), Scenario::default()).await;
    assert!(err.is_err());
}

#[tokio::test]
async fn fleet_serves_through_the_sdk() {
    let emulator = Emulator::start(Scenario::fleet(120)).await.unwrap();
    let cc = support::codeconnections(&emulator.url());
    let links = cc.list_repository_links().send().await.unwrap();
    assert_eq!(links.repository_links().len(), 3);
    let first_link = links.repository_links()[0].repository_link_id();
    let configs = cc
        .list_sync_configurations()
        .repository_link_id(first_link)
        .sync_type(SyncConfigurationType::CfnStackSync)
        .send()
        .await
        .unwrap();
    assert_eq!(configs.sync_configurations().len(), 50);
    assert_eq!(configs.next_token(), None);
    let stack = configs.sync_configurations()[0].resource_name();
    let status = cc
        .get_resource_sync_status()
        .resource_name(stack)
        .sync_type(SyncConfigurationType::CfnStackSync)
        .send()
        .await
        .unwrap();
    assert_eq!(status.latest_sync().unwrap().status().as_str(), "SUCCEEDED");
    let summary = cc
        .get_sync_blocker_summary()
        .resource_name(stack)
        .sync_type(SyncConfigurationType::CfnStackSync)
        .send()
        .await
        .unwrap();
    assert!(summary.sync_blocker_summary().unwrap().latest_blockers().is_empty());
    let pipelines = support::codepipeline(&emulator.url()).list_pipelines().send().await.unwrap();
    assert_eq!(pipelines.pipelines().len(), 3);
}
