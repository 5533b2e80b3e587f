//! Every CodeConnections operation through the real `aws-sdk-codeconnections` (RPC v2 CBOR).

use std::collections::BTreeSet;

use aws_sdk_codeconnections::types::{
    BlockerStatus, ProviderType, RepositorySyncStatus, ResourceSyncStatus, SyncConfigurationType,
};
use syncwarden_emulator::Emulator;

use crate::support::{self, CONNECTION_ARN, LINK_ID, ts};

const STACK_SYNC: SyncConfigurationType = SyncConfigurationType::CfnStackSync;
const BLOCKER_ID: &str = "e7a3c1d9-4b2f-4f6e-8a1d-5c9b0e2f7a31";

#[tokio::test]
async fn lists_repository_links_and_sync_configurations() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cc = support::codeconnections(&emulator.url());

    let links = cc.list_repository_links().send().await.unwrap();
    let [link] = links.repository_links() else { panic!("one link expected: {links:?}") };
    assert_eq!(link.repository_link_id(), LINK_ID);
    assert_eq!(link.owner_id(), "acme");
    assert_eq!(link.repository_name(), "infra-repo");
    assert_eq!(link.provider_type(), &ProviderType::Github);
    assert_eq!(link.connection_arn(), CONNECTION_ARN);
    assert_eq!(
        link.repository_link_arn(),
        format!("arn:aws:codeconnections:eu-west-1:111122223333:repository-link/{LINK_ID}")
    );
    assert_eq!(links.next_token(), None);

    let configs = cc
        .list_sync_configurations()
        .repository_link_id(LINK_ID)
        .sync_type(STACK_SYNC)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> =
        configs.sync_configurations().iter().map(|c| c.resource_name()).collect();
    assert_eq!(names, ["payments-api", "network-core", "search-index"]);
    let payments = &configs.sync_configurations()[0];
    assert_eq!(payments.branch(), "main");
    assert_eq!(payments.config_file(), Some("deploy/payments-api.yaml"));
    assert_eq!(payments.owner_id(), "acme");
    assert_eq!(payments.repository_name(), "infra-repo");
    assert_eq!(payments.role_arn(), "arn:aws:iam::111122223333:role/git-sync");
    assert_eq!(payments.sync_type(), &STACK_SYNC);
    assert_eq!(payments.publish_deployment_status().map(|s| s.as_str()), Some("ENABLED"));

    let one = cc
        .get_sync_configuration()
        .sync_type(STACK_SYNC)
        .resource_name("network-core")
        .send()
        .await
        .unwrap();
    let config = one.sync_configuration().unwrap();
    assert_eq!(config.resource_name(), "network-core");
    assert_eq!(config.config_file(), Some("deploy/network-core.yaml"));
    assert_eq!(config.repository_link_id(), LINK_ID);
    assert_eq!(config.publish_deployment_status(), None);

    let defs = cc
        .list_repository_sync_definitions()
        .repository_link_id(LINK_ID)
        .sync_type(STACK_SYNC)
        .send()
        .await
        .unwrap();
    let defs = defs.repository_sync_definitions();
    assert_eq!(defs.len(), 3);
    assert_eq!(defs[0].branch(), "main");
    assert_eq!(defs[0].directory(), "deploy/payments-api.yaml");
    assert_eq!(defs[0].parent(), "payments-api");
    assert_eq!(defs[0].target(), "payments-api");
}

#[tokio::test]
async fn resource_sync_status_carries_revisions_events_and_times() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cc = support::codeconnections(&emulator.url());

    let status = cc
        .get_resource_sync_status()
        .resource_name("payments-api")
        .sync_type(STACK_SYNC)
        .send()
        .await
        .unwrap();
    let desired = status.desired_state().unwrap();
    assert_eq!(desired.sha(), "4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24");
    assert_eq!(desired.branch(), "main");
    assert_eq!(desired.directory(), "deploy/payments-api.yaml");
    assert_eq!(desired.owner_id(), "acme");
    assert_eq!(desired.repository_name(), "infra-repo");
    assert_eq!(desired.provider_type(), &ProviderType::Github);

    let latest = status.latest_sync().unwrap();
    assert_eq!(latest.status(), &ResourceSyncStatus::Failed);
    assert_eq!(latest.started_at(), &ts("2026-11-20T09:00:10Z"));
    assert_eq!(latest.target(), "payments-api");
    assert_eq!(latest.target_revision().unwrap().sha(), "9f2c1e0b7d4a4c3e8b1f6a5d2c9e0f1a2b3c4d5e");
    assert_eq!(
        latest.initial_revision().unwrap().sha(),
        "1a7c3e5b9d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c"
    );
    let events = latest.events();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].r#type(), "SYNC_INITIATED");
    assert_eq!(events[0].external_id(), None);
    assert!(events[1].external_id().unwrap().contains(":changeSet/"));
    // Fractional seconds survive the CBOR float to the millisecond.
    assert_eq!(events[2].time(), &ts("2026-11-20T09:04:37.250Z"));

    let success = status.latest_successful_sync().unwrap();
    assert_eq!(success.status(), &ResourceSyncStatus::Succeeded);
    assert_eq!(success.started_at(), &ts("2026-11-19T16:20:00Z"));

    // A status AWS may add later passes through as an unknown variant.
    emulator.update(|s| {
        let sync = s.stacks.get_mut("search-index").unwrap();
        sync.latest_sync.as_mut().unwrap().status = "QUEUED_FOR_LATER".to_owned();
        sync.latest_successful_sync = None;
    });
    let status = cc
        .get_resource_sync_status()
        .resource_name("search-index")
        .sync_type(STACK_SYNC)
        .send()
        .await
        .unwrap();
    assert_eq!(status.latest_sync().unwrap().status().as_str(), "QUEUED_FOR_LATER");
    assert!(status.latest_successful_sync().is_none());
}

#[tokio::test]
async fn repository_sync_status() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cc = support::codeconnections(&emulator.url());
    let out = cc
        .get_repository_sync_status()
        .branch("main")
        .repository_link_id(LINK_ID)
        .sync_type(STACK_SYNC)
        .send()
        .await
        .unwrap();
    let latest = out.latest_sync().unwrap();
    assert_eq!(latest.status(), &RepositorySyncStatus::Succeeded);
    assert_eq!(latest.started_at(), &ts("2026-11-20T09:00:02Z"));
    assert_eq!(latest.events().len(), 2);
    assert_eq!(latest.events()[1].time(), &ts("2026-11-20T09:00:08Z"));

    let err = cc
        .get_repository_sync_status()
        .branch("release")
        .repository_link_id(LINK_ID)
        .sync_type(STACK_SYNC)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.as_service_error().map(|e| e.is_resource_not_found_exception()), Some(true));
}

#[tokio::test]
async fn blocker_summary_lists_contexts() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cc = support::codeconnections(&emulator.url());
    let out = cc
        .get_sync_blocker_summary()
        .sync_type(STACK_SYNC)
        .resource_name("payments-api")
        .send()
        .await
        .unwrap();
    let summary = out.sync_blocker_summary().unwrap();
    assert_eq!(summary.resource_name(), "payments-api");
    assert_eq!(summary.parent_resource_name(), Some("payments-api"));
    let [blocker] = summary.latest_blockers() else { panic!("one blocker expected") };
    assert_eq!(blocker.id(), BLOCKER_ID);
    assert_eq!(blocker.r#type().as_str(), "AUTOMATED");
    assert_eq!(blocker.status(), &BlockerStatus::Active);
    assert!(blocker.created_reason().contains("UPDATE_ROLLBACK_COMPLETE"));
    assert_eq!(blocker.created_at(), &ts("2026-11-20T09:04:40Z"));
    let contexts: Vec<(&str, &str)> =
        blocker.contexts().iter().map(|c| (c.key(), c.value())).collect();
    assert_eq!(contexts[0], ("StackStatus", "UPDATE_ROLLBACK_COMPLETE"));
    assert_eq!(contexts.len(), 3);
    assert_eq!(blocker.resolved_reason(), None);
    assert_eq!(blocker.resolved_at(), None);

    // A known stack without blockers has an empty summary, not an error.
    let out = cc
        .get_sync_blocker_summary()
        .sync_type(STACK_SYNC)
        .resource_name("network-core")
        .send()
        .await
        .unwrap();
    assert!(out.sync_blocker_summary().unwrap().latest_blockers().is_empty());
}

#[tokio::test]
async fn resolving_a_blocker_resumes_the_sync_once() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cc = support::codeconnections(&emulator.url());
    let before = chrono::Utc::now().timestamp() - 1;

    let out = cc
        .update_sync_blocker()
        .id(BLOCKER_ID)
        .sync_type(STACK_SYNC)
        .resource_name("payments-api")
        .resolved_reason("auto-resolved: stack healthy")
        .send()
        .await
        .unwrap();
    assert_eq!(out.resource_name(), "payments-api");
    assert_eq!(out.parent_resource_name(), Some("payments-api"));
    let blocker = out.sync_blocker().unwrap();
    assert_eq!(blocker.status(), &BlockerStatus::Resolved);
    assert_eq!(blocker.resolved_reason(), Some("auto-resolved: stack healthy"));
    assert!(blocker.resolved_at().unwrap().secs() >= before);
    assert_eq!(blocker.contexts().len(), 3);

    let status = cc
        .get_resource_sync_status()
        .resource_name("payments-api")
        .sync_type(STACK_SYNC)
        .send()
        .await
        .unwrap();
    let latest = status.latest_sync().unwrap();
    assert_eq!(latest.status(), &ResourceSyncStatus::Initiated);
    assert!(latest.started_at().secs() >= before);
    assert_eq!(latest.target_revision().unwrap().sha(), "4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24");
    assert!(latest.events()[0].event().contains(BLOCKER_ID));

    let summary = cc
        .get_sync_blocker_summary()
        .sync_type(STACK_SYNC)
        .resource_name("payments-api")
        .send()
        .await
        .unwrap();
    let listed = &summary.sync_blocker_summary().unwrap().latest_blockers()[0];
    assert_eq!(listed.status(), &BlockerStatus::Resolved);

    let again = cc
        .update_sync_blocker()
        .id(BLOCKER_ID)
        .sync_type(STACK_SYNC)
        .resource_name("payments-api")
        .resolved_reason("again")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        again.as_service_error().map(|e| e.is_sync_blocker_does_not_exist_exception()),
        Some(true),
        "{again:?}"
    );

    let unknown = cc
        .update_sync_blocker()
        .id("no-such-blocker")
        .sync_type(STACK_SYNC)
        .resource_name("payments-api")
        .resolved_reason("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        unknown.as_service_error().map(|e| e.is_sync_blocker_does_not_exist_exception()),
        Some(true)
    );
    assert_eq!(emulator.scenario().stacks["payments-api"].blockers[0].status, "RESOLVED");
}

#[tokio::test]
async fn retry_latest_commit_failure_keeps_the_blocker_active() {
    let mut scenario = support::demo();
    scenario.retry_latest_commit_fails.push("payments-api".to_owned());
    let emulator = Emulator::start(scenario).await.unwrap();
    let cc = support::codeconnections(&emulator.url());
    let err = cc
        .update_sync_blocker()
        .id(BLOCKER_ID)
        .sync_type(STACK_SYNC)
        .resource_name("payments-api")
        .resolved_reason("auto")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().map(|e| e.is_retry_latest_commit_failed_exception()),
        Some(true),
        "{err:?}"
    );
    // The model makes it a server error (503), which the SDK retries like any transient
    // failure: the default standard strategy sends it 3 times before surfacing it.
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(503));
    assert_eq!(emulator.calls()["UpdateSyncBlocker"], 3);
    let stack = &emulator.scenario().stacks["payments-api"];
    assert_eq!(stack.blockers[0].status, "ACTIVE");
    assert_eq!(stack.latest_sync.as_ref().unwrap().status, "FAILED");
}

#[tokio::test]
async fn connections() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cc = support::codeconnections(&emulator.url());
    let out = cc.get_connection().connection_arn(CONNECTION_ARN).send().await.unwrap();
    let c = out.connection().unwrap();
    assert_eq!(c.connection_name(), Some("github-acme"));
    assert_eq!(c.connection_arn(), Some(CONNECTION_ARN));
    assert_eq!(c.provider_type(), Some(&ProviderType::Github));
    assert_eq!(c.owner_account_id(), Some("111122223333"));
    assert_eq!(c.connection_status().map(|s| s.as_str()), Some("AVAILABLE"));

    let all = cc.list_connections().send().await.unwrap();
    assert_eq!(all.connections().len(), 1);
    let gitlab =
        cc.list_connections().provider_type_filter(ProviderType::Gitlab).send().await.unwrap();
    assert!(gitlab.connections().is_empty());
}

#[tokio::test]
async fn unknown_things_are_resource_not_found() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cc = support::codeconnections(&emulator.url());

    let err = cc
        .get_resource_sync_status()
        .resource_name("no-such-stack")
        .sync_type(STACK_SYNC)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().map(|e| e.is_resource_not_found_exception()),
        Some(true),
        "{err:?}"
    );
    let err = cc
        .get_sync_blocker_summary()
        .resource_name("no-such-stack")
        .sync_type(STACK_SYNC)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.as_service_error().map(|e| e.is_resource_not_found_exception()), Some(true));
    let err = cc
        .list_sync_configurations()
        .repository_link_id("00000000-0000-0000-0000-000000000000")
        .sync_type(STACK_SYNC)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.as_service_error().map(|e| e.is_resource_not_found_exception()), Some(true));
    let err = cc
        .get_connection()
        .connection_arn("arn:aws:codeconnections:eu-west-1:111122223333:connection/nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.as_service_error().map(|e| e.is_resource_not_found_exception()), Some(true));
    // Input validation: the SDK does not check required members of this shape client-side.
    let err = cc.list_repository_links().next_token("not-a-token").send().await.unwrap_err();
    assert_eq!(
        err.as_service_error().map(|e| e.is_invalid_input_exception()),
        Some(true),
        "{err:?}"
    );
}

#[tokio::test]
async fn pagination_sees_every_item_once() {
    let emulator = Emulator::start(support::five_of_everything()).await.unwrap();
    let cc = support::codeconnections(&emulator.url());

    // CodeConnections' paginators yield pages only (no `items()`), so flatten them here.
    let links: Vec<String> = cc
        .list_repository_links()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap()
        .iter()
        .flat_map(|page| page.repository_links())
        .map(|l| l.repository_link_id().to_owned())
        .collect();
    assert_unique_five(&links);
    assert_eq!(emulator.calls()["ListRepositoryLinks"], 3);

    let configs: Vec<String> = cc
        .list_sync_configurations()
        .repository_link_id("00000000-0000-4000-8000-000000000000")
        .sync_type(STACK_SYNC)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap()
        .iter()
        .flat_map(|page| page.sync_configurations())
        .map(|c| c.resource_name().to_owned())
        .collect();
    assert_unique_five(&configs);

    let connections: Vec<String> = cc
        .list_connections()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap()
        .iter()
        .flat_map(|page| page.connections())
        .filter_map(|c| c.connection_arn().map(str::to_owned))
        .collect();
    assert_unique_five(&connections);

    // MaxResults may lower the page size.
    emulator.reset_calls();
    let one_by_one = cc
        .list_repository_links()
        .max_results(1)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(one_by_one.len(), 5);
    assert!(one_by_one.iter().all(|page| page.repository_links().len() == 1));
    assert_eq!(emulator.calls()["ListRepositoryLinks"], 5);
}

pub fn assert_unique_five(items: &[String]) {
    assert_eq!(items.len(), 5, "{items:?}");
    assert_eq!(items.iter().collect::<BTreeSet<_>>().len(), 5, "{items:?}");
}
