//! CodePipeline operations through the real `aws-sdk-codepipeline` (awsJson1_1).

use aws_sdk_codepipeline::types::{
    ActionExecutionStatus, ExecutionMode, ExecutionType, PipelineExecutionStatus,
    StageExecutionStatus, TriggerType,
};
use syncwarden_emulator::Emulator;

use crate::codeconnections::assert_unique_five;
use crate::support::{self, ts};

/// JSON timestamps are floats; the SDK does not truncate them, so compare to the millisecond.
fn millis(t: &aws_smithy_types::DateTime) -> i64 {
    (t.as_secs_f64() * 1000.0).round() as i64
}

#[tokio::test]
async fn pipeline_state_has_stages_actions_and_error_details() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cp = support::codepipeline(&emulator.url());
    let state = cp.get_pipeline_state().name("payments-release").send().await.unwrap();
    assert_eq!(state.pipeline_name(), Some("payments-release"));
    assert_eq!(state.pipeline_version(), Some(3));
    assert_eq!(state.created(), Some(&ts("2026-10-02T12:00:00Z")));
    assert_eq!(state.updated(), Some(&ts("2026-11-12T15:30:00Z")));
    let stages = state.stage_states();
    assert_eq!(stages.len(), 3);
    let source = &stages[0];
    assert_eq!(source.stage_name(), Some("Source"));
    assert_eq!(source.inbound_transition_state().map(|t| t.enabled()), Some(true));
    let source_action = source.action_states()[0].latest_execution().unwrap();
    assert_eq!(source_action.status(), Some(&ActionExecutionStatus::Succeeded));
    assert_eq!(
        millis(source_action.last_status_change().unwrap()),
        millis(&ts("2026-11-20T09:10:41.208Z"))
    );
    assert!(source_action.external_execution_url().unwrap().starts_with("https://github.com/"));

    let deploy = &stages[2];
    assert_eq!(deploy.stage_name(), Some("Deploy"));
    let latest = deploy.latest_execution().unwrap();
    assert_eq!(latest.pipeline_execution_id(), "3f1a9c2e-7b4d-4e8a-9c1f-2d6b8e0a4f73");
    assert_eq!(latest.status(), &StageExecutionStatus::Failed);
    assert_eq!(latest.r#type(), Some(&ExecutionType::Standard));
    let action = &deploy.action_states()[0];
    assert_eq!(action.action_name(), Some("Deploy"));
    let execution = action.latest_execution().unwrap();
    assert_eq!(execution.action_execution_id(), Some("47f821c5-a902-44b2-ae61-b878d31ecd21"));
    assert_eq!(execution.status(), Some(&ActionExecutionStatus::Failed));
    assert_eq!(execution.summary(), Some("Deployment failed"));
    let details = execution.error_details().unwrap();
    assert_eq!(details.code(), Some("JobFailed"));
    assert!(details.message().unwrap().contains("UPDATE_ROLLBACK_COMPLETE"));
    assert_eq!(execution.external_execution_id(), None);

    let network = cp.get_pipeline_state().name("network-release").send().await.unwrap();
    assert!(network.stage_states().iter().all(|s| {
        s.latest_execution().map(|e| e.status()) == Some(&StageExecutionStatus::Succeeded)
    }));
}

#[tokio::test]
async fn executions_newest_first_with_source_revisions() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cp = support::codepipeline(&emulator.url());
    let out = cp.list_pipeline_executions().pipeline_name("payments-release").send().await.unwrap();
    let executions = out.pipeline_execution_summaries();
    assert_eq!(executions.len(), 2);
    let latest = &executions[0];
    assert_eq!(latest.pipeline_execution_id(), Some("3f1a9c2e-7b4d-4e8a-9c1f-2d6b8e0a4f73"));
    assert_eq!(latest.status(), Some(&PipelineExecutionStatus::Failed));
    assert_eq!(latest.status_summary(), Some("Action Deploy failed"));
    assert_eq!(millis(latest.start_time().unwrap()), millis(&ts("2026-11-20T09:59:59.418Z")));
    assert_eq!(millis(latest.last_update_time().unwrap()), millis(&ts("2026-11-20T10:05:12Z")));
    let revision = &latest.source_revisions()[0];
    assert_eq!(revision.action_name(), "Source");
    assert_eq!(revision.revision_id(), Some("4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24"));
    assert_eq!(revision.revision_summary(), Some("Fix bucket policy"));
    assert!(revision.revision_url().is_some());
    assert_eq!(latest.trigger().and_then(|t| t.trigger_type()), Some(&TriggerType::WebhookV2));
    assert_eq!(latest.execution_mode(), Some(&ExecutionMode::Superseded));
    assert_eq!(latest.execution_type(), Some(&ExecutionType::Standard));
    assert_eq!(executions[1].status(), Some(&PipelineExecutionStatus::Succeeded));
    assert_eq!(executions[1].status_summary(), None);
    assert_eq!(out.next_token(), None);

    let first_only = cp
        .list_pipeline_executions()
        .pipeline_name("payments-release")
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(first_only.pipeline_execution_summaries().len(), 1);
    assert!(first_only.next_token().is_some());
}

#[tokio::test]
async fn unknown_pipeline_is_pipeline_not_found() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cp = support::codepipeline(&emulator.url());
    let err = cp.get_pipeline_state().name("no-such-pipeline").send().await.unwrap_err();
    assert_eq!(
        err.as_service_error().map(|e| e.is_pipeline_not_found_exception()),
        Some(true),
        "{err:?}"
    );
    let err =
        cp.list_pipeline_executions().pipeline_name("no-such-pipeline").send().await.unwrap_err();
    assert_eq!(err.as_service_error().map(|e| e.is_pipeline_not_found_exception()), Some(true));
    let err = cp.list_pipelines().next_token("garbage").send().await.unwrap_err();
    assert_eq!(
        err.as_service_error().map(|e| e.is_invalid_next_token_exception()),
        Some(true),
        "{err:?}"
    );
}

#[tokio::test]
async fn list_pipelines_pages() {
    let emulator = Emulator::start(support::five_of_everything()).await.unwrap();
    let cp = support::codepipeline(&emulator.url());
    let names: Vec<String> = cp
        .list_pipelines()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|p| p.name().map(str::to_owned))
        .collect();
    assert_unique_five(&names);
    assert_eq!(emulator.calls()["ListPipelines"], 3);

    let demo = Emulator::start(support::demo()).await.unwrap();
    let out = support::codepipeline(&demo.url()).list_pipelines().send().await.unwrap();
    let first = &out.pipelines()[0];
    assert_eq!(first.name(), Some("payments-release"));
    assert_eq!(first.version(), Some(3));
    assert_eq!(first.created(), Some(&ts("2026-10-02T12:00:00Z")));
}
