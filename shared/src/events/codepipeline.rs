//! `aws.codepipeline` execution state changes.
//!
//! `aws_lambda_events`' CodePipeline structs reject what AWS really sends (`version: 4.0`, a
//! float; action `type.version: "1"`, a string), so the detail is our own struct and the
//! numeric fields we do not need are not declared at all.

use serde::Deserialize;

use super::{Envelope, EventError, lenient, trim_text};
use crate::ids::{Branch, ExecutionId, PipelineName, ResourceId, Revision};
use crate::observation::{Change, Observation};
use crate::status::PipelineState;

/// Which execution level an event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    Pipeline,
    Stage,
    Action,
}

impl Level {
    pub(super) fn from_detail_type(detail_type: &str) -> Option<Level> {
        match detail_type {
            "CodePipeline Pipeline Execution State Change" => Some(Level::Pipeline),
            "CodePipeline Stage Execution State Change" => Some(Level::Stage),
            "CodePipeline Action Execution State Change" => Some(Level::Action),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct ExecutionDetail {
    pipeline: Option<String>,
    execution_id: Option<String>,
    state: Option<PipelineState>,
    stage: Option<String>,
    action: Option<String>,
    #[serde(rename = "type")]
    action_type: Option<ActionType>,
    execution_result: Option<ExecutionResult>,
    execution_trigger: Option<ExecutionTrigger>,
}

#[derive(Debug, Deserialize)]
struct ActionType {
    #[serde(default, deserialize_with = "lenient::text")]
    provider: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ExecutionResult {
    #[serde(default, deserialize_with = "lenient::text")]
    external_execution_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    external_execution_summary: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    error_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ExecutionTrigger {
    #[serde(default, deserialize_with = "lenient::text")]
    trigger_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    full_repository_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    commit_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    commit_message: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    branch_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    author_email: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    author_display_name: Option<String>,
}

pub(super) fn execution(
    envelope: &Envelope,
    level: Level,
    detail: ExecutionDetail,
) -> Result<Observation, EventError> {
    let pipeline = detail
        .pipeline
        .as_deref()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| envelope.error("detail.pipeline", "missing"))?;
    let pipeline =
        PipelineName::new(pipeline).map_err(|e| envelope.invalid("detail.pipeline", e))?;
    let state = detail.state.ok_or_else(|| envelope.error("detail.state", "missing"))?;
    let execution_id = detail
        .execution_id
        .as_deref()
        .ok_or_else(|| envelope.error("detail.execution-id", "missing"))?;
    let execution_id =
        ExecutionId::new(execution_id).map_err(|e| envelope.invalid("detail.execution-id", e))?;
    let stage = || {
        detail
            .stage
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| envelope.error("detail.stage", "missing"))
    };
    let change = match level {
        Level::Pipeline => Change::PipelineExecution {
            state,
            execution_id,
            failure: None,
            author: detail
                .execution_trigger
                .as_ref()
                .and_then(|t| t.author_email.clone().or_else(|| t.author_display_name.clone())),
            trigger: detail.execution_trigger.as_ref().and_then(|t| t.trigger_type.clone()),
            commit_message: trim_text(
                detail
                    .execution_trigger
                    .as_ref()
                    .and_then(|t| t.commit_message.as_deref())
                    .and_then(|m| m.lines().next())
                    .map(str::to_owned),
                200,
            ),
        },
        Level::Stage => Change::PipelineStage { state, execution_id, stage: stage()? },
        Level::Action => {
            let result = detail.execution_result.as_ref();
            Change::PipelineAction {
                state,
                execution_id,
                stage: stage()?,
                action: detail
                    .action
                    .clone()
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| envelope.error("detail.action", "missing"))?,
                provider: detail.action_type.as_ref().and_then(|t| t.provider.clone()),
                error_code: result.and_then(|r| r.error_code.clone()),
                summary: trim_text(
                    result.and_then(|r| r.external_execution_summary.as_deref()).map(summary_text),
                    1000,
                ),
                external_url: result.and_then(|r| r.external_execution_url.clone()),
            }
        }
    };
    let mut observation = envelope.observe(ResourceId::Pipeline(pipeline), change);
    if let Some(trigger) = detail.execution_trigger {
        // A trigger names the revision (a Git commit, a CodeCommit id, an S3 version), kept as
        // sent; one no revision can be is dropped rather than failing the event, since the
        // execution itself is what we record.
        observation.commit = trigger.commit_id.and_then(|sha| Revision::new(sha).ok());
        observation.branch = trigger.branch_name.and_then(|b| Branch::new(b).ok());
        observation.repository = trigger.full_repository_name;
    }
    Ok(observation)
}

/// Source actions report their summary as a JSON document (`{"ProviderType": …,
/// "CommitMessage": …}`); a person wants the commit message.
fn summary_text(summary: &str) -> String {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct SourceSummary {
        commit_message: String,
    }
    match serde_json::from_str::<SourceSummary>(summary) {
        Ok(source) => source.commit_message.lines().next().unwrap_or_default().to_owned(),
        Err(_) => summary.to_owned(),
    }
}
