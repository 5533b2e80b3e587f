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

const FAILED_RUN: &str = "3f1a9c2e-7b4d-4e8a-9c1f-2d6b8e0a4f73";
const NEWER_RUN: &str = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d";

fn by_run(id: &str) -> aws_sdk_codepipeline::types::ActionExecutionFilter {
    aws_sdk_codepipeline::types::ActionExecutionFilter::builder().pipeline_execution_id(id).build()
}

/// `(stage, action, status)` of each detail, in the order listed.
fn listed(details: &[aws_sdk_codepipeline::types::ActionExecutionDetail]) -> Vec<String> {
    details
        .iter()
        .map(|d| {
            format!(
                "{}/{} {}",
                d.stage_name().unwrap_or("?"),
                d.action_name().unwrap_or("?"),
                d.status().map(|s| s.as_str()).unwrap_or("?")
            )
        })
        .collect()
}

#[tokio::test]
async fn action_executions_of_one_run_newest_first_with_their_results() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cp = support::codepipeline(&emulator.url());
    let out = cp
        .list_action_executions()
        .pipeline_name("payments-release")
        .filter(by_run(FAILED_RUN))
        .send()
        .await
        .unwrap();
    let details = out.action_execution_details();
    // Derived from the stages' latest actions of this run: the demo names none explicitly.
    assert_eq!(
        listed(details),
        ["Deploy/Deploy Failed", "Build/Build Succeeded", "Source/Source Succeeded"]
    );
    let deploy = &details[0];
    assert_eq!(deploy.pipeline_execution_id(), Some(FAILED_RUN));
    assert_eq!(deploy.action_execution_id(), Some("47f821c5-a902-44b2-ae61-b878d31ecd21"));
    assert_eq!(deploy.pipeline_version(), Some(3));
    assert_eq!(deploy.status(), Some(&ActionExecutionStatus::Failed));
    assert_eq!(millis(deploy.start_time().unwrap()), millis(&ts("2026-11-20T09:59:59.418Z")));
    assert_eq!(millis(deploy.last_update_time().unwrap()), millis(&ts("2026-11-20T09:15:43.500Z")));
    let result = deploy.output().and_then(|o| o.execution_result()).unwrap();
    assert_eq!(result.external_execution_summary(), Some("Deployment failed"));
    let details = result.error_details().unwrap();
    assert_eq!(details.code(), Some("JobFailed"));
    assert!(details.message().unwrap().contains("UPDATE_ROLLBACK_COMPLETE"));
    assert_eq!(out.next_token(), None);

    // The other run of the demo is on no stage any more: nothing to derive.
    let older = cp
        .list_action_executions()
        .pipeline_name("payments-release")
        .filter(by_run("0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"))
        .send()
        .await
        .unwrap();
    assert!(older.action_execution_details().is_empty());
}

/// A newer run has started after the failed one: it leads the stages it reached, while the
/// failed run's explicit action executions still say where that run failed.
fn newer_run_started(scenario: &mut syncwarden_emulator::Scenario) {
    use syncwarden_emulator::scenario::{ActionExecution, ActionTypeId, PipelineExecution};
    let pipeline = scenario.pipelines.iter_mut().find(|p| p.name == "payments-release").unwrap();
    let failed = pipeline.execution(FAILED_RUN).unwrap().clone();
    let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let failed_run = pipeline.executions.iter_mut().find(|e| e.id == FAILED_RUN).unwrap();
    failed_run.action_executions = vec![
        ActionExecution {
            stage_name: "Source".into(),
            action_name: "Source".into(),
            action_execution_id: Some("a1".into()),
            status: "Succeeded".into(),
            start_time: Some(failed.start_time),
            last_update_time: Some(t("2026-11-20T10:00:30Z")),
            ..ActionExecution::default()
        },
        ActionExecution {
            stage_name: "Deploy".into(),
            action_name: "Deploy".into(),
            action_execution_id: Some("a3".into()),
            status: "Failed".into(),
            start_time: Some(t("2026-11-20T10:04:00Z")),
            last_update_time: Some(t("2026-11-20T10:05:12Z")),
            updated_by: Some("arn:aws:iam::111122223333:role/pipeline".into()),
            action_type: Some(ActionTypeId {
                category: "Deploy".into(),
                owner: "AWS".into(),
                provider: "CloudFormation".into(),
                version: "1".into(),
            }),
            external_execution_summary: Some("Stack update failed".into()),
            error_code: Some("JobFailed".into()),
            error_message: Some("UPDATE_ROLLBACK_COMPLETE".into()),
            ..ActionExecution::default()
        },
    ];
    pipeline.executions.insert(
        0,
        PipelineExecution {
            id: NEWER_RUN.into(),
            status: "InProgress".into(),
            start_time: t("2026-11-20T11:00:00Z"),
            last_update_time: t("2026-11-20T11:00:20Z"),
            trigger_type: "StartPipelineExecution".into(),
            trigger_detail: Some("arn:aws:sts::111122223333:assumed-role/dev/alice".into()),
            execution_mode: "SUPERSEDED".into(),
            execution_type: "STANDARD".into(),
            ..PipelineExecution::default()
        },
    );
    let source = pipeline.stages.iter_mut().find(|s| s.name == "Source").unwrap();
    source.execution_id = Some(NEWER_RUN.into());
    source.status = Some("InProgress".into());
    source.actions[0].status = Some("InProgress".into());
    source.actions[0].execution_id = Some("b1".into());
    source.actions[0].last_status_change = Some(t("2026-11-20T11:00:20Z"));
}

#[tokio::test]
async fn a_newer_run_does_not_hide_where_the_failed_run_failed() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    emulator.update(newer_run_started);
    let cp = support::codepipeline(&emulator.url());
    let failed = cp
        .list_action_executions()
        .pipeline_name("payments-release")
        .filter(by_run(FAILED_RUN))
        .send()
        .await
        .unwrap();
    let details = failed.action_execution_details();
    assert_eq!(listed(details), ["Deploy/Deploy Failed", "Source/Source Succeeded"]);
    let deploy = &details[0];
    assert_eq!(deploy.updated_by(), Some("arn:aws:iam::111122223333:role/pipeline"));
    let type_id = deploy.input().and_then(|i| i.action_type_id()).unwrap();
    assert_eq!((type_id.provider(), type_id.version()), ("CloudFormation", "1"));

    // The newer run, derived from the stage it leads.
    let newer = cp
        .list_action_executions()
        .pipeline_name("payments-release")
        .filter(by_run(NEWER_RUN))
        .send()
        .await
        .unwrap();
    assert_eq!(listed(newer.action_execution_details()), ["Source/Source InProgress"]);

    // Unfiltered: every run's, newest first, followed page by page.
    let all: Vec<_> = cp
        .list_action_executions()
        .pipeline_name("payments-release")
        .into_paginator()
        .page_size(1)
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    let runs: Vec<_> = all.iter().map(|d| d.pipeline_execution_id().unwrap()).collect();
    assert_eq!(runs, [NEWER_RUN, FAILED_RUN, FAILED_RUN]);
    assert_eq!(listed(&all)[1], "Deploy/Deploy Failed", "the later start first");
    assert_eq!(emulator.calls()["ListActionExecutions"], 2 + 3, "one page per item");

    // latestInPipelineExecution: the newest execution of each action of that run.
    let latest = aws_sdk_codepipeline::types::LatestInPipelineExecutionFilter::builder()
        .pipeline_execution_id(FAILED_RUN)
        .start_time_range(aws_sdk_codepipeline::types::StartTimeRange::Latest)
        .build()
        .unwrap();
    let filter = aws_sdk_codepipeline::types::ActionExecutionFilter::builder()
        .latest_in_pipeline_execution(latest)
        .build();
    let out = cp
        .list_action_executions()
        .pipeline_name("payments-release")
        .filter(filter)
        .send()
        .await
        .unwrap();
    assert_eq!(out.action_execution_details().len(), 2);

    // GetPipelineExecution: the trigger of the run, known by id.
    let run = cp
        .get_pipeline_execution()
        .pipeline_name("payments-release")
        .pipeline_execution_id(NEWER_RUN)
        .send()
        .await
        .unwrap();
    let run = run.pipeline_execution().unwrap();
    let trigger = run.trigger().unwrap();
    assert_eq!(trigger.trigger_type(), Some(&TriggerType::StartPipelineExecution));
    assert_eq!(trigger.trigger_detail(), Some("arn:aws:sts::111122223333:assumed-role/dev/alice"));
    assert!(run.artifact_revisions().is_empty());
}

#[tokio::test]
async fn get_pipeline_execution_has_artifact_revisions_and_the_trigger() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cp = support::codepipeline(&emulator.url());
    let out = cp
        .get_pipeline_execution()
        .pipeline_name("payments-release")
        .pipeline_execution_id(FAILED_RUN)
        .send()
        .await
        .unwrap();
    let run = out.pipeline_execution().unwrap();
    assert_eq!(run.pipeline_name(), Some("payments-release"));
    assert_eq!(run.pipeline_version(), Some(3));
    assert_eq!(run.pipeline_execution_id(), Some(FAILED_RUN));
    assert_eq!(run.status(), Some(&PipelineExecutionStatus::Failed));
    assert_eq!(run.status_summary(), Some("Action Deploy failed"));
    assert_eq!(run.trigger().and_then(|t| t.trigger_type()), Some(&TriggerType::WebhookV2));
    assert_eq!(run.execution_mode(), Some(&ExecutionMode::Superseded));
    assert_eq!(run.execution_type(), Some(&ExecutionType::Standard));
    // Derived from the source revisions, named as the console names the source's output.
    let revision = &run.artifact_revisions()[0];
    assert_eq!(revision.name(), Some("SourceArtifact"));
    assert_eq!(revision.revision_id(), Some("4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24"));
    assert_eq!(revision.revision_summary(), Some("Fix bucket policy"));
    assert!(revision.revision_url().is_some());

    // Explicit artifact revisions win, with every member of the shape.
    emulator.update(|s| {
        let run = &mut s.pipelines[0].executions[0];
        run.source_revisions.clear();
        run.artifact_revisions = vec![syncwarden_emulator::scenario::ArtifactRevision {
            name: "SourceArtifact".into(),
            revision_id: Some("s3-version-3Lk9".into()),
            revision_change_identifier: Some("3Lk9".into()),
            revision_summary: Some("{\"ProviderType\":\"S3\"}".into()),
            created: Some(
                chrono::DateTime::parse_from_rfc3339("2026-11-20T09:59:00Z").unwrap().to_utc(),
            ),
            revision_url: None,
        }];
    });
    let out = cp
        .get_pipeline_execution()
        .pipeline_name("payments-release")
        .pipeline_execution_id(FAILED_RUN)
        .send()
        .await
        .unwrap();
    let revision = &out.pipeline_execution().unwrap().artifact_revisions()[0];
    assert_eq!(revision.revision_id(), Some("s3-version-3Lk9"));
    assert_eq!(revision.revision_change_identifier(), Some("3Lk9"));
    assert_eq!(revision.created(), Some(&ts("2026-11-20T09:59:00Z")));
}

#[tokio::test]
async fn execution_reads_answer_the_modelled_errors() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cp = support::codepipeline(&emulator.url());
    let err = cp
        .get_pipeline_execution()
        .pipeline_name("payments-release")
        .pipeline_execution_id("00000000-0000-4000-8000-000000000000")
        .send()
        .await
        .unwrap_err();
    let service = err.as_service_error().unwrap();
    assert!(service.is_pipeline_execution_not_found_exception(), "{err:?}");
    assert!(service.meta().message().unwrap().contains("00000000-0000-4000-8000-000000000000"));
    let err = cp
        .get_pipeline_execution()
        .pipeline_name("no-such-pipeline")
        .pipeline_execution_id(FAILED_RUN)
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_pipeline_not_found_exception(), "{err:?}");

    let list = || cp.list_action_executions().pipeline_name("payments-release");
    let err = list().filter(by_run("0ff1ce00-0000-4000-8000-000000000000")).send().await;
    let err = err.unwrap_err();
    assert!(err.as_service_error().unwrap().is_pipeline_execution_not_found_exception());
    let err = list().next_token("garbage").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_invalid_next_token_exception(), "{err:?}");
    let err = list().max_results(101).send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_validation_exception(), "{err:?}");
    let err = cp.list_action_executions().pipeline_name("nope").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_pipeline_not_found_exception(), "{err:?}");
    // Every one of them is a 400 the SDK does not retry.
    assert_eq!(emulator.calls()["ListActionExecutions"], 4);
}
