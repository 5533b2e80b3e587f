//! The action's design sentence: find the blocker, gather the facts, let the policy decide, act
//! only on `Resolve` in enforce mode (under a lock), and record the decision either way.

use chrono::{DateTime, Duration, Utc};
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};

use super::policy::{BlockerFacts, Decision, Facts, Mode, PolicyConfig, decide};
use crate::clients::{ApiError, ControlPlane, Resolution, Stacks};
pub use crate::decision::ActionOutcome;
use crate::decision::{DecisionKind, Recorded};
use crate::events::blocker_detected::{BlockerDetected, DETAIL_TYPE};
use crate::ids::{BlockerId, EventId, IdError, ResourceId, StackName};
use crate::lambda::{self, Failure};
use crate::observation::{Change, Observation, ObservedBy};
use crate::observe::{self, Blocker};
use crate::status::{BlockerStatus, SyncStatus};
use crate::store::{HistoryStore, StoreError};
use crate::text::clip;

/// `ResolvedReason` may hold at most 250 characters.
const RESOLVED_REASON_MAX: usize = 250;

/// What the action was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveRequest {
    pub stack: StackName,
    /// A specific blocker, or the stack's active one.
    pub blocker_id: Option<String>,
    /// Who asks and why: `event` for the poller's announcement, a person's words otherwise.
    pub requested_by: String,
    /// Decide and record, but never resolve.
    pub dry_run: bool,
}

/// A manual request, as JSON (`{"stack": …, "blockerId": …, "reason": …, "dryRun": …}`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ManualRequest {
    stack: String,
    #[serde(default)]
    blocker_id: Option<String>,
    reason: String,
    #[serde(default)]
    dry_run: bool,
}

/// A request the action cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid auto-resolve request: {0}")]
pub struct RequestError(pub String);

impl ResolveRequest {
    /// Parses the poller's "Sync Blocker Detected" event or a manual request.
    pub fn parse(bytes: &[u8]) -> Result<Self, RequestError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| RequestError(format!("not JSON: {e}")))?;
        if value.get("detail-type").is_some() {
            let detail_type = value["detail-type"].as_str().unwrap_or_default();
            if detail_type != DETAIL_TYPE {
                return Err(RequestError(format!(
                    "detail-type `{detail_type}` from source `{}` is not a `{}` event",
                    value["source"].as_str().unwrap_or_default(),
                    DETAIL_TYPE
                )));
            }
            let detail: BlockerDetected = serde_json::from_value(value["detail"].clone())
                .map_err(|e| RequestError(format!("detail: {e}")))?;
            return Ok(ResolveRequest {
                stack: StackName::new(detail.stack)
                    .map_err(|e| RequestError(format!("detail.stack: {e}")))?,
                blocker_id: Some(detail.blocker_id),
                requested_by: "event".into(),
                dry_run: false,
            });
        }
        let manual: ManualRequest = serde_path_to_error::deserialize(value)
            .map_err(|e| RequestError(format!("{}: {}", e.path(), e.inner())))?;
        if manual.reason.trim().is_empty() {
            return Err(RequestError("reason: say who asks and why".into()));
        }
        Ok(ResolveRequest {
            stack: StackName::new(manual.stack).map_err(|e| RequestError(format!("stack: {e}")))?,
            blocker_id: manual.blocker_id,
            requested_by: manual.reason,
            dry_run: manual.dry_run,
        })
    }
}

/// The action's answer (the function's response, the CLI's output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolveReport {
    pub stack: String,
    pub blocker_id: Option<String>,
    pub mode: Mode,
    pub decision: Option<Decision>,
    pub outcome: ActionOutcome,
}

/// Why the action could not run.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// An AWS call failed: retry later, unless access was denied.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The store failed: retry later, unless a record is corrupt.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// What AWS answered cannot be recorded (a blocker id that is not a valid id): a retry
    /// would read the same answer.
    #[error("cannot record the decision about blocker `{blocker}`: {message}")]
    Invalid { blocker: String, message: String },
}

impl Failure for ResolveError {
    fn is_retryable(&self) -> bool {
        match self {
            ResolveError::Api(error) => error.is_retryable(),
            ResolveError::Store(error) => error.is_retryable(),
            ResolveError::Invalid { .. } => false,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ResolveError::Store(StoreError::Corrupt { .. }) => "CorruptRecord",
            ResolveError::Api(_) | ResolveError::Store(_) => "ResolveFailure",
            ResolveError::Invalid { .. } => "InvalidBlocker",
        }
    }
}

impl From<ResolveError> for Diagnostic {
    fn from(error: ResolveError) -> Diagnostic {
        lambda::diagnostic(&error)
    }
}

impl Failure for RequestError {
    fn is_retryable(&self) -> bool {
        false
    }

    fn kind(&self) -> &'static str {
        "InvalidRequest"
    }
}

impl From<RequestError> for Diagnostic {
    fn from(error: RequestError) -> Diagnostic {
        lambda::diagnostic(&error)
    }
}

/// The auto-resolve action. Built once per container.
#[derive(Debug, Clone)]
pub struct Resolver {
    control: ControlPlane,
    stacks: Stacks,
    store: HistoryStore,
    config: PolicyConfig,
}

impl Resolver {
    /// An action under `config`.
    pub fn new(
        control: ControlPlane,
        stacks: Stacks,
        store: HistoryStore,
        config: PolicyConfig,
    ) -> Self {
        Resolver { control, stacks, store, config }
    }

    /// The policy in force.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Decides about the stack's blocker and acts if the policy and mode allow.
    pub async fn handle(&self, request: &ResolveRequest) -> Result<ResolveReport, ResolveError> {
        let now = Utc::now();
        let (decision, blocker) = match self.evaluate(request, now).await? {
            Some(found) => found,
            None => {
                return Ok(ResolveReport {
                    stack: request.stack.to_string(),
                    blocker_id: request.blocker_id.clone(),
                    mode: self.config.settings.mode,
                    decision: None,
                    outcome: ActionOutcome::NoActiveBlocker,
                });
            }
        };
        let (outcome, resolved) = match (&decision, self.config.settings.mode, request.dry_run) {
            (Decision::Resolve { .. }, Mode::Enforce, false) => {
                self.act(request, &blocker, &decision, now).await?
            }
            (Decision::Resolve { .. }, _, _) => (ActionOutcome::DryRun, None),
            _ => (ActionOutcome::NotActed, None),
        };
        if outcome != ActionOutcome::Busy {
            self.audit(request, &blocker, &decision, &outcome, now).await?;
        }
        if let Some(resolved) = resolved {
            self.record_resolved(&request.stack, &resolved).await;
        }
        Ok(ResolveReport {
            stack: request.stack.to_string(),
            blocker_id: Some(blocker.id.clone()),
            mode: self.config.settings.mode,
            decision: Some(decision),
            outcome,
        })
    }

    /// The blocker and the policy's decision about it, without acting (`syncwarden blockers`).
    pub async fn evaluate(
        &self,
        request: &ResolveRequest,
        now: DateTime<Utc>,
    ) -> Result<Option<(Decision, BlockerFacts)>, ResolveError> {
        let resource = ResourceId::Stack(request.stack.clone());
        let (blockers, sync, status, history) = tokio::join!(
            self.control.blockers(&request.stack),
            self.control.stack_sync(&request.stack),
            self.stacks.status(&request.stack),
            self.store.history(&resource, 500),
        );
        let blockers = blockers?;
        let chosen = blockers.iter().find(|b| match &request.blocker_id {
            Some(id) => &b.id == id,
            None => b.status == BlockerStatus::Active,
        });
        let Some(found) = chosen else { return Ok(None) };
        let blocker = BlockerFacts {
            stack: request.stack.to_string(),
            id: found.id.clone(),
            status: found.status.clone(),
            reason: found.reason.clone().unwrap_or_default(),
            created_at: found.created_at,
        };
        let sync = sync?;
        let facts = Facts {
            now,
            stack_status: status?,
            latest_sync: sync.as_ref().and_then(|s| {
                s.target_sha
                    .clone()
                    .map(|sha| (s.status.clone(), sha))
                    .filter(|(st, _)| *st == SyncStatus::Failed)
            }),
            desired_commit: sync.as_ref().and_then(|s| s.desired_sha.clone()),
            earlier_attempts: history?
                .iter()
                .filter_map(|e| match &e.observation.change {
                    // An outcome this version cannot read counts: the cap errs toward a person.
                    Change::BlockerDecision {
                        decision: Recorded::Known(DecisionKind::Resolve),
                        outcome,
                        ..
                    } if outcome.known().is_none_or(ActionOutcome::is_attempt) => {
                        Some(e.observation.at)
                    }
                    _ => None,
                })
                .filter(|at| now - *at < Duration::days(1))
                .collect(),
        };
        let decision = decide(&blocker, &facts, &self.config);
        Ok(Some((decision, blocker)))
    }

    /// Resolves under the blocker's lock, so two invocations never both call UpdateSyncBlocker.
    /// One call is one attempt, whatever the SDK retried inside it (a 503 is retried there):
    /// the daily cap counts the audited attempts, not HTTP requests. Also returns the blocker
    /// as the service's answer describes it, when it was resolved now.
    async fn act(
        &self,
        request: &ResolveRequest,
        blocker: &BlockerFacts,
        decision: &Decision,
        now: DateTime<Utc>,
    ) -> Result<(ActionOutcome, Option<Blocker>), ResolveError> {
        let lock = format!("blocker/{}/{}", request.stack, blocker.id);
        if !self.store.locks().acquire(&lock, Duration::minutes(5)).await? {
            return Ok((ActionOutcome::Busy, None));
        }
        let reason = clip(
            &format!(
                "syncwarden auto-resolve at {} (rule {}, requested by {}): {}",
                now.format("%Y-%m-%dT%H:%M:%SZ"),
                decision.rule(),
                request.requested_by,
                decision.why()
            ),
            RESOLVED_REASON_MAX,
        )
        .into_owned();
        let result = match self.control.resolve_blocker(&request.stack, &blocker.id, &reason).await
        {
            Ok(Resolution::Resolved(resolved)) => (ActionOutcome::Resolved, resolved),
            Ok(Resolution::AlreadyResolved) => (ActionOutcome::AlreadyResolved, None),
            // RetryLatestCommitFailed or throttling that outlasted the SDK's retries: recorded,
            // a later attempt may succeed.
            Err(error) => (ActionOutcome::Failed(error.code.unwrap_or(error.message)), None),
        };
        self.store.locks().release(&lock).await?;
        Ok(result)
    }

    /// Records the resolved blocker as the poll would (same observation, same event id), so
    /// `status` and the incident thread show RESOLVED now, and the next poll finds it already
    /// recorded and writes nothing. A failure here is only logged: the blocker is resolved
    /// either way, and the next poll records it; failing the invocation would make Lambda run
    /// the whole action again for a blocker that is no longer active.
    async fn record_resolved(&self, stack: &StackName, resolved: &Blocker) {
        let recorded = match observe::blockers(stack, std::slice::from_ref(resolved)) {
            Ok(observations) => {
                let mut result = Ok(());
                for observation in &observations {
                    if let Err(e) = self.store.record(observation).await {
                        result = Err(e.to_string());
                    }
                }
                result
            }
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = recorded {
            tracing::warn!(%stack, blocker = %resolved.id, %error,
                "resolved, but not recorded; the next poll records it");
        }
    }

    /// Records the decision as an entry of the stack's history (and its decision facet).
    async fn audit(
        &self,
        request: &ResolveRequest,
        blocker: &BlockerFacts,
        decision: &Decision,
        outcome: &ActionOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), ResolveError> {
        let mode = if request.dry_run { Mode::DryRun } else { self.config.settings.mode };
        let invalid = |e: IdError| ResolveError::Invalid {
            blocker: blocker.id.clone(),
            message: e.to_string(),
        };
        let blocker_id = BlockerId::new(blocker.id.clone()).map_err(invalid)?;
        let event_id = EventId::new(format!("decision-{}-{}", blocker.id, now.timestamp_millis()))
            .map_err(invalid)?;
        let observation = Observation::new(
            ResourceId::Stack(request.stack.clone()),
            now,
            event_id,
            ObservedBy::Event,
            Change::BlockerDecision {
                blocker: blocker_id,
                decision: decision.kind().into(),
                rule: decision.rule().into(),
                why: decision.why().into(),
                mode: mode.into(),
                outcome: outcome.clone().into(),
                requested_by: clip(&request.requested_by, 200).into_owned(),
            },
        );
        self.store.record(&observation).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer that cannot be recorded, or a request that cannot be taken, is permanent; an AWS
    /// or store hiccup is worth a retry.
    #[test]
    fn only_what_may_pass_is_retryable() {
        let invalid = ResolveError::Invalid { blocker: "x".into(), message: "bad id".into() };
        assert_eq!(Diagnostic::from(invalid).error_type, "NonRetryable.InvalidBlocker");
        let request = ResolveRequest::parse(b"{}").unwrap_err();
        assert_eq!(Diagnostic::from(request).error_type, "NonRetryable.InvalidRequest");
        let throttled = ResolveError::Api(ApiError {
            operation: "GetSyncBlockerSummary",
            subject: "s".into(),
            code: Some("ThrottlingException".into()),
            message: "slow down".into(),
        });
        assert_eq!(Diagnostic::from(throttled).error_type, "Retryable.ResolveFailure");
        let corrupt = ResolveError::Store(StoreError::Corrupt {
            table: "t".into(),
            key: "k".into(),
            message: "m".into(),
        });
        assert_eq!(Diagnostic::from(corrupt).error_type, "NonRetryable.CorruptRecord");
    }
}
