//! The AWS control plane as the poller and the resolver use it: CodeConnections (Git sync) and
//! CodePipeline, through the real SDK clients, turned into the plain snapshots of
//! [`crate::observe`]; and the one write, `UpdateSyncBlocker`.
//!
//! Every `NextToken` is followed (the SDK paginators where generated); throttling and 5xx are
//! retried by the SDK's retry strategy before an error reaches the caller.

use aws_sdk_codeconnections::types::SyncConfigurationType;
use aws_sdk_codepipeline::types::{
    ActionExecutionFilter, ActionExecutionStatus, PipelineExecutionStatus,
};
use chrono::{DateTime, Utc};

use super::ApiError;
use crate::ids::{Branch, PipelineName, RepositoryLinkId, StackName};
use crate::observation::BlockerContext;
use crate::observe::{
    Blocker, Connection, LinkInfo, PipelineRun, RepositorySync, StackSync, SyncConfigInfo,
};
use crate::status::{BlockerStatus, ConnectionStatus, SyncStatus};

/// What `UpdateSyncBlocker` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Resolved now; the blocker as the answer describes it (the model requires it, but an
    /// answer without it is still a success: the next poll reads the blocker).
    Resolved(Option<Blocker>),
    /// The blocker no longer exists: someone else resolved it.
    AlreadyResolved,
}

/// A blocker as `GetSyncBlockerSummary` and `UpdateSyncBlocker` both describe it.
fn blocker(b: &aws_sdk_codeconnections::types::SyncBlocker) -> Blocker {
    Blocker {
        id: b.id().to_owned(),
        status: BlockerStatus::parse(b.status().as_str()),
        reason: Some(b.created_reason().to_owned()).filter(|r| !r.is_empty()),
        contexts: b
            .contexts()
            .iter()
            .map(|c| BlockerContext { key: c.key().to_owned(), value: c.value().to_owned() })
            .collect(),
        created_at: time(b.created_at()),
        resolved_reason: b.resolved_reason().map(str::to_owned),
        resolved_at: b.resolved_at().map(time),
    }
}

fn time(value: &aws_smithy_types::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(value.secs(), value.subsec_nanos()).unwrap_or_default()
}

/// The two control-plane clients, built once per container.
#[derive(Debug, Clone)]
pub struct ControlPlane {
    connections: aws_sdk_codeconnections::Client,
    pipelines: aws_sdk_codepipeline::Client,
}

const CFN: SyncConfigurationType = SyncConfigurationType::CfnStackSync;

impl ControlPlane {
    /// A control plane over the two clients.
    pub fn new(
        connections: aws_sdk_codeconnections::Client,
        pipelines: aws_sdk_codepipeline::Client,
    ) -> Self {
        ControlPlane { connections, pipelines }
    }

    /// Every repository link (`ListRepositoryLinks`, all pages).
    pub async fn repository_links(&self) -> Result<Vec<LinkInfo>, ApiError> {
        let mut pages = self.connections.list_repository_links().into_paginator().send();
        let mut links = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ApiError::new("ListRepositoryLinks", "", e))?;
            for link in page.repository_links() {
                let id = RepositoryLinkId::new(link.repository_link_id()).map_err(|e| {
                    ApiError::invalid(
                        "ListRepositoryLinks",
                        link.repository_link_id(),
                        e.to_string(),
                    )
                })?;
                links.push(LinkInfo {
                    id,
                    connection_arn: link.connection_arn().to_owned(),
                    repository: format!("{}/{}", link.owner_id(), link.repository_name()),
                    provider: link.provider_type().as_str().to_owned(),
                });
            }
        }
        Ok(links)
    }

    /// A link's CloudFormation stack sync configurations (`ListSyncConfigurations`, all pages).
    pub async fn sync_configurations(
        &self,
        link: &RepositoryLinkId,
    ) -> Result<Vec<SyncConfigInfo>, ApiError> {
        let mut pages = self
            .connections
            .list_sync_configurations()
            .repository_link_id(link.as_str())
            .sync_type(CFN)
            .into_paginator()
            .send();
        let mut configs = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| ApiError::new("ListSyncConfigurations", link.as_str(), e))?;
            for config in page.sync_configurations() {
                let invalid = |e: crate::ids::IdError| {
                    ApiError::invalid("ListSyncConfigurations", link.as_str(), e.to_string())
                };
                configs.push(SyncConfigInfo {
                    stack: StackName::new(config.resource_name()).map_err(invalid)?,
                    link: link.clone(),
                    branch: Branch::new(config.branch()).map_err(invalid)?,
                });
            }
        }
        Ok(configs)
    }

    /// Every pipeline's name (`ListPipelines`, all pages).
    pub async fn pipeline_names(&self) -> Result<Vec<PipelineName>, ApiError> {
        let mut pages = self.pipelines.list_pipelines().into_paginator().items().send();
        let mut names = Vec::new();
        while let Some(summary) = pages.next().await {
            let summary = summary.map_err(|e| ApiError::new("ListPipelines", "", e))?;
            if let Some(name) = summary.name().and_then(|n| PipelineName::new(n).ok()) {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// A stack's latest sync attempt; `None` when it has never synced.
    pub async fn stack_sync(&self, stack: &StackName) -> Result<Option<StackSync>, ApiError> {
        let result = self
            .connections
            .get_resource_sync_status()
            .resource_name(stack.as_str())
            .sync_type(CFN)
            .send()
            .await
            .map_err(|e| ApiError::new("GetResourceSyncStatus", stack.as_str(), e));
        let output = match result {
            Ok(output) => output,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(latest) = output.latest_sync() else {
            return Ok(None);
        };
        let revision = latest.target_revision();
        Ok(Some(StackSync {
            stack: stack.clone(),
            status: SyncStatus::parse(latest.status().as_str()),
            started_at: time(latest.started_at()),
            last_event_at: latest.events().iter().map(|e| time(e.time())).max(),
            target_sha: revision.map(|r| r.sha().to_owned()),
            branch: revision.map(|r| r.branch().to_owned()),
            repository: revision.map(|r| format!("{}/{}", r.owner_id(), r.repository_name())),
            provider: revision.map(|r| r.provider_type().as_str().to_owned()),
            desired_sha: output.desired_state().map(|d| d.sha().to_owned()),
        }))
    }

    /// A stack's latest blockers, active and resolved (`GetSyncBlockerSummary`).
    pub async fn blockers(&self, stack: &StackName) -> Result<Vec<Blocker>, ApiError> {
        let result = self
            .connections
            .get_sync_blocker_summary()
            .resource_name(stack.as_str())
            .sync_type(CFN)
            .send()
            .await
            .map_err(|e| ApiError::new("GetSyncBlockerSummary", stack.as_str(), e));
        let output = match result {
            Ok(output) => output,
            Err(e) if e.is_not_found() => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let Some(summary) = output.sync_blocker_summary() else {
            return Ok(Vec::new());
        };
        Ok(summary.latest_blockers().iter().map(blocker).collect())
    }

    /// A repository branch's latest sync; `None` when it has never synced.
    pub async fn repository_sync(
        &self,
        link: &RepositoryLinkId,
        branch: &Branch,
        repository: &str,
    ) -> Result<Option<RepositorySync>, ApiError> {
        let subject = format!("{link}@{branch}");
        let result = self
            .connections
            .get_repository_sync_status()
            .repository_link_id(link.as_str())
            .branch(branch.as_str())
            .sync_type(CFN)
            .send()
            .await
            .map_err(|e| ApiError::new("GetRepositorySyncStatus", subject, e));
        let output = match result {
            Ok(output) => output,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(output.latest_sync().map(|latest| RepositorySync {
            link: link.clone(),
            branch: branch.clone(),
            repository: repository.to_owned(),
            status: SyncStatus::parse(latest.status().as_str()),
            started_at: time(latest.started_at()),
            last_event_at: latest.events().iter().map(|e| time(e.time())).max(),
        }))
    }

    /// A pipeline's latest execution and, if it failed, which action(s) of that run failed
    /// and why.
    ///
    /// Calls: `ListPipelineExecutions` (one page of one) always; `ListActionExecutions`
    /// filtered by the run's id (every page, 100 a page) only when the run failed; and
    /// `GetPipelineExecution` only when the summary names no source revision or no trigger.
    /// A healthy run with its revision costs one call. The failure is read by execution id,
    /// not from `GetPipelineState`, which shows only each stage's latest run: once a newer
    /// run has started, the failed run's actions would be gone from it.
    pub async fn pipeline_run(
        &self,
        pipeline: &PipelineName,
    ) -> Result<Option<PipelineRun>, ApiError> {
        let result = self
            .pipelines
            .list_pipeline_executions()
            .pipeline_name(pipeline.as_str())
            .max_results(1)
            .send()
            .await
            .map_err(|e| ApiError::new("ListPipelineExecutions", pipeline.as_str(), e));
        let executions = match result {
            Ok(output) => output,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(latest) = executions.pipeline_execution_summaries().first() else {
            return Ok(None);
        };
        let (Some(execution_id), Some(status)) = (latest.pipeline_execution_id(), latest.status())
        else {
            return Ok(None);
        };
        let revision = latest.source_revisions().iter().find(|r| r.revision_id().is_some());
        let mut run = PipelineRun {
            pipeline: pipeline.clone(),
            execution_id: execution_id.to_owned(),
            status: status.as_str().to_owned(),
            last_update_at: latest
                .last_update_time()
                .or(latest.start_time())
                .map(time)
                .unwrap_or_default(),
            revision: revision.and_then(|r| r.revision_id()).map(str::to_owned),
            revision_summary: revision.and_then(|r| r.revision_summary()).map(str::to_owned),
            trigger: latest.trigger().and_then(|t| t.trigger_type()).map(|t| t.as_str().to_owned()),
            failure: None,
        };
        if run.revision.is_none() || run.trigger.is_none() {
            self.complete_from_execution(&mut run).await?;
        }
        if *status == PipelineExecutionStatus::Failed {
            run.failure = self.failed_actions(pipeline, execution_id).await?;
        }
        Ok(Some(run))
    }

    /// Fills what the summary lacked from `GetPipelineExecution`: the source revision (its
    /// first artifact revision that names one) and the trigger. A run that is gone by now
    /// (`PipelineExecutionNotFoundException`) leaves the run as the summary had it.
    async fn complete_from_execution(&self, run: &mut PipelineRun) -> Result<(), ApiError> {
        let subject = format!("{}/{}", run.pipeline, run.execution_id);
        let result = self
            .pipelines
            .get_pipeline_execution()
            .pipeline_name(run.pipeline.as_str())
            .pipeline_execution_id(&run.execution_id)
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_pipeline_execution_not_found_exception()) =>
            {
                return Ok(());
            }
            Err(e) => return Err(ApiError::new("GetPipelineExecution", subject, e)),
        };
        let Some(execution) = output.pipeline_execution() else {
            return Ok(());
        };
        if run.revision.is_none()
            && let Some(artifact) =
                execution.artifact_revisions().iter().find(|a| a.revision_id().is_some())
        {
            run.revision = artifact.revision_id().map(str::to_owned);
            run.revision_summary = artifact.revision_summary().map(str::to_owned);
        }
        if run.trigger.is_none() {
            run.trigger =
                execution.trigger().and_then(|t| t.trigger_type()).map(|t| t.as_str().to_owned());
        }
        Ok(())
    }

    /// The failed actions of one run (`ListActionExecutions` filtered by its id, every page),
    /// as a person would say it: "stage X / action Y: code — message", or the provider's
    /// summary when there is no error, each action once (its newest attempt: an action that
    /// failed and then succeeded on a retry of its stage did not fail the run), in the order
    /// the service lists them (newest first), joined by "; ". `None` when no action says it
    /// failed.
    async fn failed_actions(
        &self,
        pipeline: &PipelineName,
        execution_id: &str,
    ) -> Result<Option<String>, ApiError> {
        let subject = format!("{pipeline}/{execution_id}");
        let mut pages = self
            .pipelines
            .list_action_executions()
            .pipeline_name(pipeline.as_str())
            .filter(ActionExecutionFilter::builder().pipeline_execution_id(execution_id).build())
            .max_results(100)
            .into_paginator()
            .send();
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut failures = Vec::new();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_pipeline_execution_not_found_exception()) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(ApiError::new("ListActionExecutions", subject, e)),
            };
            for action in page.action_execution_details() {
                let stage = action.stage_name().unwrap_or("?");
                let name = action.action_name().unwrap_or("?");
                let key = (stage.to_owned(), name.to_owned());
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                if action.status() != Some(&ActionExecutionStatus::Failed) {
                    continue;
                }
                let result = action.output().and_then(|o| o.execution_result());
                let mut text = format!("stage {stage} / action {name}");
                match (result.and_then(|r| r.error_details()), result) {
                    (Some(details), _) => text.push_str(&format!(
                        ": {} — {}",
                        details.code().unwrap_or("error"),
                        details.message().unwrap_or_default()
                    )),
                    (None, Some(r)) => {
                        if let Some(summary) = r.external_execution_summary() {
                            text.push_str(&format!(": {summary}"));
                        }
                    }
                    (None, None) => {}
                }
                failures.push(text);
            }
        }
        Ok(Some(failures.join("; ")).filter(|f| !f.is_empty()))
    }

    /// Resolves a blocker (`UpdateSyncBlocker`), which retries the latest commit, and returns
    /// the blocker as the answer describes it (RESOLVED, with the reason and time), so the
    /// caller can record it without waiting for the next poll. A blocker that no longer exists
    /// (already resolved) is [`Resolution::AlreadyResolved`].
    ///
    /// The service models `RetryLatestCommitFailedException` and `InternalServerException` as
    /// 503, so the SDK retries them within this one call (up to its max attempts).
    pub async fn resolve_blocker(
        &self,
        stack: &StackName,
        id: &str,
        reason: &str,
    ) -> Result<Resolution, ApiError> {
        let result = self
            .connections
            .update_sync_blocker()
            .resource_name(stack.as_str())
            .sync_type(CFN)
            .id(id)
            .resolved_reason(reason)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Resolution::Resolved(output.sync_blocker().map(blocker))),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_sync_blocker_does_not_exist_exception()) =>
            {
                Ok(Resolution::AlreadyResolved)
            }
            Err(e) => Err(ApiError::new("UpdateSyncBlocker", format!("{stack}/{id}"), e)),
        }
    }

    /// A connection's status (`GetConnection`).
    pub async fn connection(&self, arn: &str) -> Result<Connection, ApiError> {
        let output = self
            .connections
            .get_connection()
            .connection_arn(arn)
            .send()
            .await
            .map_err(|e| ApiError::new("GetConnection", arn, e))?;
        let connection = output.connection();
        Ok(Connection {
            arn: arn.to_owned(),
            name: connection.and_then(|c| c.connection_name()).map(str::to_owned),
            provider: connection.and_then(|c| c.provider_type()).map(|p| p.as_str().to_owned()),
            status: connection
                .and_then(|c| c.connection_status())
                .map_or(ConnectionStatus::Unknown("MISSING".into()), |s| {
                    ConnectionStatus::parse(s.as_str())
                }),
        })
    }
}
