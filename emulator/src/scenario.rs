//! The emulated world: connections, repository links, sync configurations, stack and
//! repository sync state, sync blockers and pipelines. Plain serde data so tests, the admin API
//! and scenario files all speak the same JSON.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Page size of every List operation when a scenario does not set one (AWS's usual default).
pub const DEFAULT_PAGE_SIZE: usize = 50;

/// The only sync type CodeConnections has today; sync configurations default to it.
pub const CFN_STACK_SYNC: &str = "CFN_STACK_SYNC";

/// Everything the emulator answers from. Every collection is optional in JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    /// Default page size of every List operation; a request's MaxResults may only lower it.
    pub page_size: usize,
    pub connections: Vec<Connection>,
    pub repository_links: Vec<RepositoryLink>,
    pub sync_configurations: Vec<SyncConfiguration>,
    /// Resource (stack) sync state, keyed by stack name.
    pub stacks: BTreeMap<String, StackState>,
    /// Repository sync state, keyed by `<repository link id>@<branch>`.
    pub repository_syncs: BTreeMap<String, RepositorySync>,
    /// Stacks whose `UpdateSyncBlocker` answers `RetryLatestCommitFailedException`.
    pub retry_latest_commit_fails: Vec<String>,
    pub pipelines: Vec<Pipeline>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            page_size: DEFAULT_PAGE_SIZE,
            connections: Vec::new(),
            repository_links: Vec::new(),
            sync_configurations: Vec::new(),
            stacks: BTreeMap::new(),
            repository_syncs: BTreeMap::new(),
            retry_latest_commit_fails: Vec::new(),
            pipelines: Vec::new(),
        }
    }
}

/// A CodeConnections connection (to GitHub, GitLab, ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub arn: String,
    pub name: String,
    pub provider_type: String,
    pub owner_account_id: String,
    /// `PENDING | AVAILABLE | ERROR` (passed through as is).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_arn: Option<String>,
}

/// A repository link: one repository reachable through a connection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RepositoryLink {
    /// A UUID, as AWS uses.
    pub id: String,
    pub connection_arn: String,
    pub owner_id: String,
    pub repository_name: String,
    pub provider_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_key_arn: Option<String>,
}

impl RepositoryLink {
    /// The link's ARN, in the region and account of its connection (AWS derives it the same way).
    pub fn arn(&self) -> String {
        let parts: Vec<&str> = self.connection_arn.split(':').collect();
        let (region, account) = match parts.as_slice() {
            [_, _, _, region, account, ..] if !region.is_empty() && !account.is_empty() => {
                (*region, *account)
            }
            _ => ("eu-west-1", "111122223333"),
        };
        format!("arn:aws:codeconnections:{region}:{account}:repository-link/{}", self.id)
    }
}

/// A CloudFormation stack synced from a file on a branch of a linked repository.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncConfiguration {
    /// The stack name.
    pub resource_name: String,
    pub repository_link_id: String,
    pub branch: String,
    /// The deployment file path in the repository.
    pub config_file: String,
    pub role_arn: String,
    #[serde(default = "default_sync_type")]
    pub sync_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_deployment_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_resource_update_on: Option<String>,
}

fn default_sync_type() -> String {
    CFN_STACK_SYNC.to_owned()
}

/// The sync state of one stack.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StackState {
    /// The commit Git sync wants deployed (`DesiredState.Sha`).
    pub desired_sha: String,
    #[serde(default)]
    pub latest_sync: Option<ResourceSyncAttempt>,
    #[serde(default)]
    pub latest_successful_sync: Option<ResourceSyncAttempt>,
    /// Most recent blockers, active and resolved.
    #[serde(default)]
    pub blockers: Vec<SyncBlocker>,
    /// The CloudFormation status `DescribeStacks` answers, e.g. `UPDATE_ROLLBACK_COMPLETE`;
    /// absent means [`DEFAULT_STACK_STATUS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_status: Option<String>,
    /// The CloudFormation `StackStatusReason` (absent: none sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_status_reason: Option<String>,
    /// The stack ARN; absent means one derived from the name (see [`StackState::stack_id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_id: Option<String>,
    /// When the stack was created; absent means [`DEFAULT_STACK_CREATION_TIME`] (or
    /// `last_updated` if that is earlier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<DateTime<Utc>>,
    /// The CloudFormation `LastUpdatedTime` (absent: never updated, none sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<DateTime<Utc>>,
}

/// The CloudFormation status of a stack whose `stack_status` is not set.
pub const DEFAULT_STACK_STATUS: &str = "UPDATE_COMPLETE";

/// The creation time of a stack whose `creation_time` is not set, as RFC 3339.
pub const DEFAULT_STACK_CREATION_TIME: &str = "2026-11-01T10:00:00Z";

impl StackState {
    /// The CloudFormation stack status (`UPDATE_COMPLETE` unless the scenario sets one).
    pub fn stack_status(&self) -> &str {
        self.stack_status.as_deref().unwrap_or(DEFAULT_STACK_STATUS)
    }

    /// The stack ARN: `stack_id` if set, else
    /// `arn:aws:cloudformation:eu-west-1:111122223333:stack/<name>/<uuid-like suffix>` with a
    /// suffix derived from the name alone, so it is the same on every run.
    pub fn stack_id(&self, name: &str) -> String {
        match &self.stack_id {
            Some(id) => id.clone(),
            None => default_stack_id(name),
        }
    }

    /// The creation time: `creation_time` if set, else the default (never after
    /// `last_updated`).
    pub fn creation_time(&self) -> DateTime<Utc> {
        if let Some(t) = self.creation_time {
            return t;
        }
        let default = DateTime::parse_from_rfc3339(DEFAULT_STACK_CREATION_TIME)
            .map(|t| t.to_utc())
            .unwrap_or_default();
        match self.last_updated {
            Some(updated) if updated < default => updated,
            _ => default,
        }
    }
}

/// The derived ARN of a stack named `name` (see [`StackState::stack_id`]).
pub fn default_stack_id(name: &str) -> String {
    // Two FNV-1a hashes with different offset bases give 128 stable bits.
    let fnv = |basis: u64| {
        name.bytes().fold(basis, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
    };
    let hi = fnv(0xcbf2_9ce4_8422_2325);
    let lo = fnv(0x6c62_272e_07bb_0142);
    format!(
        "arn:aws:cloudformation:eu-west-1:111122223333:stack/{name}/{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// One attempt to deploy a commit to a stack.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceSyncAttempt {
    /// `FAILED | INITIATED | IN_PROGRESS | SUCCEEDED` or anything AWS adds later.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub initial_sha: String,
    pub target_sha: String,
    #[serde(default)]
    pub events: Vec<SyncEvent>,
}

/// One line of a sync's event log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncEvent {
    pub time: DateTime<Utc>,
    pub event: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default)]
    pub external_id: Option<String>,
}

/// A sync blocker: Git sync stops applying commits to the stack while one is ACTIVE.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncBlocker {
    pub id: String,
    /// AWS knows only `AUTOMATED`.
    #[serde(rename = "type", default = "default_blocker_type")]
    pub blocker_type: String,
    /// `ACTIVE | RESOLVED`.
    pub status: String,
    pub created_reason: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub contexts: Vec<BlockerContext>,
    #[serde(default)]
    pub resolved_reason: Option<String>,
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
}

fn default_blocker_type() -> String {
    "AUTOMATED".to_owned()
}

/// A key/value detail attached to a blocker (opaque text, as AWS documents none).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockerContext {
    pub key: String,
    pub value: String,
}

/// The latest sync of one branch of a linked repository.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RepositorySync {
    /// `FAILED | INITIATED | IN_PROGRESS | SUCCEEDED | QUEUED`.
    pub status: String,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub events: Vec<SyncEvent>,
}

/// A CodePipeline pipeline with its current state and execution history.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub name: String,
    pub version: i32,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Newest first, as `ListPipelineExecutions` returns them.
    #[serde(default)]
    pub executions: Vec<PipelineExecution>,
}

impl Pipeline {
    /// The pipeline execution `id`, if the pipeline has it.
    pub fn execution(&self, id: &str) -> Option<&PipelineExecution> {
        self.executions.iter().find(|e| e.id == id)
    }

    /// The action executions of one run, newest first: the run's explicit ones, else those the
    /// stages' latest actions show for it (a stage whose latest execution is this run; a stage
    /// a newer run has reached since shows that run instead, so this run's entry for it is
    /// gone, as it would be from `GetPipelineState`).
    pub fn action_executions(&self, run: &PipelineExecution) -> Vec<ActionExecution> {
        let mut found = if run.action_executions.is_empty() {
            self.stages
                .iter()
                .filter(|stage| stage.execution_id.as_deref() == Some(run.id.as_str()))
                .flat_map(|stage| {
                    stage.actions.iter().filter_map(move |action| {
                        let status = action.status.clone()?;
                        Some(ActionExecution {
                            stage_name: stage.name.clone(),
                            action_name: action.name.clone(),
                            action_execution_id: action.execution_id.clone(),
                            status,
                            start_time: Some(run.start_time),
                            last_update_time: action.last_status_change,
                            updated_by: None,
                            action_type: None,
                            external_execution_id: action.external_execution_id.clone(),
                            external_execution_summary: action.summary.clone(),
                            external_execution_url: action.external_execution_url.clone(),
                            error_code: action.error_code.clone(),
                            error_message: action.error_message.clone(),
                        })
                    })
                })
                .collect()
        } else {
            run.action_executions.clone()
        };
        // Newest first, by start then last update (a stable sort keeps the given order of ties).
        let key = |a: &ActionExecution| {
            let start = a.start_time.unwrap_or(run.start_time);
            (start, a.last_update_time.unwrap_or(start))
        };
        found.sort_by_key(|a| std::cmp::Reverse(key(a)));
        found
    }
}

/// A stage of a pipeline and its latest execution.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    /// The pipeline execution that last ran this stage (absent if it never ran).
    #[serde(default)]
    pub execution_id: Option<String>,
    /// `Cancelled | InProgress | Failed | Stopped | Stopping | Succeeded | Skipped`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default = "enabled")]
    pub inbound_transition_enabled: bool,
    #[serde(default)]
    pub actions: Vec<Action>,
}

fn enabled() -> bool {
    true
}

/// An action of a stage and its latest execution.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub name: String,
    #[serde(default)]
    pub execution_id: Option<String>,
    /// `InProgress | Abandoned | Succeeded | Failed` (absent if it never ran).
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub last_status_change: Option<DateTime<Utc>>,
    #[serde(default)]
    pub external_execution_id: Option<String>,
    #[serde(default)]
    pub external_execution_url: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
}

/// One pipeline execution: what `ListPipelineExecutions` summarises, `GetPipelineExecution`
/// describes and `ListActionExecutions` lists the actions of.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineExecution {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub status_summary: Option<String>,
    pub start_time: DateTime<Utc>,
    pub last_update_time: DateTime<Utc>,
    #[serde(default = "default_trigger_type")]
    pub trigger_type: String,
    /// `trigger.triggerDetail`: the connection, user or rule that started it (absent: none sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_detail: Option<String>,
    /// The pipeline version it ran (absent: the pipeline's current version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_version: Option<i32>,
    #[serde(default)]
    pub source_revisions: Vec<SourceRevision>,
    /// `GetPipelineExecution`'s `artifactRevisions`; when empty, derived from
    /// `source_revisions` (see [`PipelineExecution::artifact_revisions`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifact_revisions: Vec<ArtifactRevision>,
    /// The run's action executions, newest first; when empty, derived from the stages' latest
    /// actions of this run (see [`Pipeline::action_executions`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub action_executions: Vec<ActionExecution>,
    #[serde(default = "default_execution_mode")]
    pub execution_mode: String,
    #[serde(default = "default_execution_type")]
    pub execution_type: String,
}

impl PipelineExecution {
    /// The artifact revisions `GetPipelineExecution` answers: the explicit ones, else one per
    /// source revision that names a revision, as `<action>Artifact` (the console's default
    /// output artifact name, `SourceArtifact` for an action named `Source`).
    pub fn artifact_revisions(&self) -> Vec<ArtifactRevision> {
        if !self.artifact_revisions.is_empty() {
            return self.artifact_revisions.clone();
        }
        self.source_revisions
            .iter()
            .filter(|r| r.revision_id.is_some())
            .map(|r| ArtifactRevision {
                name: format!("{}Artifact", r.action_name),
                revision_id: r.revision_id.clone(),
                revision_change_identifier: None,
                revision_summary: r.revision_summary.clone(),
                created: None,
                revision_url: r.revision_url.clone(),
            })
            .collect()
    }
}

/// A revision of an artifact a pipeline execution ran with (`GetPipelineExecution`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ArtifactRevision {
    /// The artifact's name, e.g. `SourceArtifact`.
    pub name: String,
    #[serde(default)]
    pub revision_id: Option<String>,
    #[serde(default)]
    pub revision_change_identifier: Option<String>,
    #[serde(default)]
    pub revision_summary: Option<String>,
    #[serde(default)]
    pub created: Option<DateTime<Utc>>,
    #[serde(default)]
    pub revision_url: Option<String>,
}

/// One execution of one action in a pipeline run (`ListActionExecutions`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionExecution {
    pub stage_name: String,
    pub action_name: String,
    #[serde(default)]
    pub action_execution_id: Option<String>,
    /// `InProgress | Abandoned | Succeeded | Failed`.
    pub status: String,
    /// Absent: the run's start time.
    #[serde(default)]
    pub start_time: Option<DateTime<Utc>>,
    /// Absent: the start time.
    #[serde(default)]
    pub last_update_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_by: Option<String>,
    /// `input.actionTypeId` (absent: no input sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_type: Option<ActionTypeId>,
    #[serde(default)]
    pub external_execution_id: Option<String>,
    #[serde(default)]
    pub external_execution_summary: Option<String>,
    #[serde(default)]
    pub external_execution_url: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
}

/// What kind of action ran (`ActionTypeId`): all four members are required by the model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionTypeId {
    /// `Source | Build | Deploy | Test | Invoke | Approval | Compute`.
    pub category: String,
    /// `AWS | ThirdParty | Custom`.
    pub owner: String,
    pub provider: String,
    pub version: String,
}

fn default_trigger_type() -> String {
    "WebhookV2".to_owned()
}

fn default_execution_mode() -> String {
    "SUPERSEDED".to_owned()
}

fn default_execution_type() -> String {
    "STANDARD".to_owned()
}

/// The source revision an execution ran with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceRevision {
    pub action_name: String,
    #[serde(default)]
    pub revision_id: Option<String>,
    #[serde(default)]
    pub revision_summary: Option<String>,
    #[serde(default)]
    pub revision_url: Option<String>,
}

/// Why a scenario file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioLoadError {
    #[error("cannot read scenario file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid scenario file {path}: at `{at}`: {source}")]
    Parse { path: PathBuf, at: String, source: serde_json::Error },
}

impl Scenario {
    /// Reads a scenario from a JSON file; errors name the file and the JSON path of the fault.
    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioLoadError> {
        let bytes = std::fs::read(path)
            .map_err(|source| ScenarioLoadError::Read { path: path.to_owned(), source })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de).map_err(|e| ScenarioLoadError::Parse {
            path: path.to_owned(),
            at: e.path().to_string(),
            source: e.into_inner(),
        })
    }

    /// The sync configuration of a stack for a sync type.
    pub fn sync_configuration(
        &self,
        resource_name: &str,
        sync_type: &str,
    ) -> Option<&SyncConfiguration> {
        self.sync_configurations
            .iter()
            .find(|c| c.resource_name == resource_name && c.sync_type == sync_type)
    }

    /// A repository link by id.
    pub fn repository_link(&self, id: &str) -> Option<&RepositoryLink> {
        self.repository_links.iter().find(|l| l.id == id)
    }

    /// A pipeline by name.
    pub fn pipeline(&self, name: &str) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| p.name == name)
    }

    /// The key of `repository_syncs` for a link and branch.
    pub fn repository_sync_key(repository_link_id: &str, branch: &str) -> String {
        format!("{repository_link_id}@{branch}")
    }

    /// A large, healthy fleet for benchmarks: one connection, one repository link per 50
    /// stacks, one sync configuration and a SUCCEEDED latest sync per stack, no blockers,
    /// and three pipelines.
    pub fn fleet(stacks: usize) -> Scenario {
        const ACCOUNT: &str = "111122223333";
        const REGION: &str = "eu-west-1";
        let base = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).single().unwrap_or_default();
        let connection_arn =
            format!("arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/fleet-connection");
        let mut scenario = Scenario {
            connections: vec![Connection {
                arn: connection_arn.clone(),
                name: "github-fleet".to_owned(),
                provider_type: "GitHub".to_owned(),
                owner_account_id: ACCOUNT.to_owned(),
                status: "AVAILABLE".to_owned(),
                host_arn: None,
            }],
            ..Scenario::default()
        };
        let links = stacks.div_ceil(50);
        for l in 0..links {
            let id = format!("00000000-0000-4000-8000-{l:012}");
            scenario.repository_links.push(RepositoryLink {
                id: id.clone(),
                connection_arn: connection_arn.clone(),
                owner_id: "acme".to_owned(),
                repository_name: format!("infra-repo-{l}"),
                provider_type: "GitHub".to_owned(),
                encryption_key_arn: None,
            });
            scenario.repository_syncs.insert(
                Scenario::repository_sync_key(&id, "main"),
                RepositorySync {
                    status: "SUCCEEDED".to_owned(),
                    started_at: base,
                    events: Vec::new(),
                },
            );
        }
        for s in 0..stacks {
            let name = format!("stack-{s:05}");
            let link = &scenario.repository_links[s / 50];
            let sha = format!("{:040x}", (s as u128 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            scenario.sync_configurations.push(SyncConfiguration {
                resource_name: name.clone(),
                repository_link_id: link.id.clone(),
                branch: "main".to_owned(),
                config_file: format!("deploy/{name}.yaml"),
                role_arn: format!("arn:aws:iam::{ACCOUNT}:role/git-sync"),
                sync_type: CFN_STACK_SYNC.to_owned(),
                publish_deployment_status: None,
                trigger_resource_update_on: None,
            });
            let started_at = base + Duration::seconds(s as i64 % 3600);
            let sync = ResourceSyncAttempt {
                status: "SUCCEEDED".to_owned(),
                started_at,
                initial_sha: sha.clone(),
                target_sha: sha.clone(),
                events: vec![SyncEvent {
                    time: started_at + Duration::seconds(30),
                    event: "Stack update complete".to_owned(),
                    event_type: "SYNC_SUCCEEDED".to_owned(),
                    external_id: None,
                }],
            };
            scenario.stacks.insert(
                name,
                StackState {
                    desired_sha: sha,
                    latest_sync: Some(sync.clone()),
                    latest_successful_sync: Some(sync),
                    blockers: Vec::new(),
                    last_updated: Some(started_at + Duration::seconds(30)),
                    ..StackState::default()
                },
            );
        }
        for p in 0..3 {
            let execution_id = format!("00000000-0000-4000-9000-{p:012}");
            scenario.pipelines.push(Pipeline {
                name: format!("fleet-release-{p}"),
                version: 1,
                created: base,
                updated: base,
                stages: ["Source", "Deploy"]
                    .iter()
                    .map(|stage| Stage {
                        name: (*stage).to_owned(),
                        execution_id: Some(execution_id.clone()),
                        status: Some("Succeeded".to_owned()),
                        inbound_transition_enabled: true,
                        actions: vec![Action {
                            name: (*stage).to_owned(),
                            status: Some("Succeeded".to_owned()),
                            last_status_change: Some(base + Duration::minutes(5)),
                            ..Action::default()
                        }],
                    })
                    .collect(),
                executions: vec![PipelineExecution {
                    id: execution_id,
                    status: "Succeeded".to_owned(),
                    status_summary: None,
                    start_time: base,
                    last_update_time: base + Duration::minutes(5),
                    trigger_type: default_trigger_type(),
                    source_revisions: vec![SourceRevision {
                        action_name: "Source".to_owned(),
                        revision_id: Some(format!("{:040x}", p + 1)),
                        revision_summary: Some("Fleet release".to_owned()),
                        revision_url: None,
                    }],
                    execution_mode: default_execution_mode(),
                    execution_type: default_execution_type(),
                    ..PipelineExecution::default()
                }],
            });
        }
        scenario
    }
}

/// One page of a list: the items and the token of the next page.
pub(crate) struct Page<'a, T> {
    pub items: &'a [T],
    pub next_token: Option<String>,
}

/// Why a pagination token was refused.
#[derive(Debug)]
pub(crate) struct BadToken;

/// Cuts a list into pages. Tokens are opaque to clients; here they carry the offset.
pub(crate) fn paginate<'a, T>(
    items: &'a [T],
    page_size: usize,
    max_results: Option<i64>,
    token: Option<&str>,
) -> Result<Page<'a, T>, BadToken> {
    let start = match token {
        None => 0,
        Some(t) => t
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or(BadToken)?,
    };
    // MaxResults may only lower the page size; 0 or less means "no preference".
    let size = match max_results {
        Some(m) if m > 0 => page_size.min(usize::try_from(m).unwrap_or(usize::MAX)),
        _ => page_size,
    }
    .max(1);
    let end = start.saturating_add(size).min(items.len());
    let next_token = (end < items.len()).then(|| format!("page-{end}"));
    Ok(Page { items: &items[start..end], next_token })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_item_once() {
        let items: Vec<u32> = (0..5).collect();
        let mut seen = Vec::new();
        let mut token = None;
        loop {
            let page = paginate(&items, 2, None, token.as_deref()).unwrap();
            seen.extend_from_slice(page.items);
            match page.next_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(seen, items);
        assert!(paginate(&items, 2, None, Some("bogus")).is_err());
        assert!(paginate(&items, 2, None, Some("page-9")).is_err());
        assert_eq!(paginate(&items, 3, Some(1), None).unwrap().items, &[0]);
        assert_eq!(paginate(&items, 2, Some(10), None).unwrap().items, &[0, 1]);
    }

    #[test]
    fn fleet_has_one_link_per_fifty_stacks() {
        let s = Scenario::fleet(120);
        assert_eq!(s.repository_links.len(), 3);
        assert_eq!(s.sync_configurations.len(), 120);
        assert_eq!(s.stacks.len(), 120);
        assert!(s.stacks.values().all(|st| st.blockers.is_empty()));
        assert!(s.stacks.values().all(|st| st.stack_status() == DEFAULT_STACK_STATUS));
        assert_eq!(s.pipelines.len(), 3);
    }

    #[test]
    fn link_arn_follows_its_connection() {
        let link = RepositoryLink {
            id: "abc".into(),
            connection_arn: "arn:aws:codeconnections:us-east-1:999:connection/x".into(),
            ..RepositoryLink::default()
        };
        assert_eq!(link.arn(), "arn:aws:codeconnections:us-east-1:999:repository-link/abc");
    }

    #[test]
    fn stack_ids_are_stable_and_distinct() {
        let state = StackState::default();
        let a = state.stack_id("payments-api");
        assert_eq!(a, state.stack_id("payments-api"));
        assert_ne!(a, state.stack_id("network-core"));
        let suffix =
            a.strip_prefix("arn:aws:cloudformation:eu-west-1:111122223333:stack/payments-api/");
        let groups: Vec<usize> = suffix.unwrap().split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        let set = StackState { stack_id: Some("arn:x".into()), ..StackState::default() };
        assert_eq!(set.stack_id("payments-api"), "arn:x");
    }

    #[test]
    fn executions_without_the_new_members_load_and_derive_them() {
        let pipeline: Pipeline = serde_json::from_value(serde_json::json!({
            "name": "p", "version": 2, "created": "2026-11-20T08:00:00Z",
            "updated": "2026-11-20T08:00:00Z",
            "stages": [
                {"name": "Source", "execution_id": "old", "status": "Succeeded",
                 "actions": [{"name": "Source", "status": "Succeeded",
                              "last_status_change": "2026-11-20T08:01:00Z"}]},
                {"name": "Deploy", "execution_id": "run", "status": "Failed",
                 "actions": [{"name": "Deploy", "status": "Failed", "error_code": "JobFailed",
                              "last_status_change": "2026-11-20T08:09:00Z"},
                             {"name": "Never"}]}],
            "executions": [{"id": "run", "status": "Failed",
                            "start_time": "2026-11-20T08:05:00Z",
                            "last_update_time": "2026-11-20T08:09:00Z",
                            "source_revisions": [{"action_name": "Source", "revision_id": "abc"}]}]
        }))
        .unwrap();
        let run = &pipeline.executions[0];
        // A stage a newer run leads is not this run's; an action that never ran is not listed.
        let actions = pipeline.action_executions(run);
        assert_eq!(actions.len(), 1);
        assert_eq!(
            (actions[0].stage_name.as_str(), actions[0].status.as_str()),
            ("Deploy", "Failed")
        );
        assert_eq!(actions[0].error_code.as_deref(), Some("JobFailed"));
        let revisions = run.artifact_revisions();
        assert_eq!(revisions[0].name, "SourceArtifact");
        assert_eq!(revisions[0].revision_id.as_deref(), Some("abc"));
        // Serialised again, nothing new appears: old scenario files round-trip unchanged.
        let json = serde_json::to_value(run).unwrap();
        for absent in
            ["action_executions", "artifact_revisions", "trigger_detail", "pipeline_version"]
        {
            assert!(json.get(absent).is_none(), "{absent}");
        }
    }

    #[test]
    fn stack_defaults() {
        let state: StackState = serde_json::from_str(r#"{"desired_sha": "abc"}"#).unwrap();
        assert_eq!(state.stack_status(), "UPDATE_COMPLETE");
        assert_eq!(state.creation_time().to_rfc3339(), "2026-11-01T10:00:00+00:00");
        let json = serde_json::to_value(&state).unwrap();
        assert!(json.get("stack_status").is_none() && json.get("last_updated").is_none());
    }
}
