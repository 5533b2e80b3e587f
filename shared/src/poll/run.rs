//! One poll: discover the fleet, read what AWS says about each target, record what the events
//! missed, and stop cleanly before the deadline so the next poll resumes where this one stopped.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, future, stream};
use serde::Serialize;

use super::targets::{Target, plan, remaining};
use crate::clients::{ApiError, BlockerEmitter, ControlPlane};
pub use crate::config::PollConfig;
use crate::events::blocker_detected::BlockerDetected;
use crate::ids::ResourceId;
use crate::lambda::{self, Failure};
use crate::observation::Observation;
use crate::observe::{self, ObserveError};
use crate::reconcile::ResourceState;
use crate::store::{Appended, HistoryStore, PollFailure, StateFilter, StateWrite, StoreError};

/// What one poll did: the Lambda function's response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollReport {
    /// Targets in the sweep (the whole fleet as discovered).
    pub targets: usize,
    /// Where this poll resumed an unfinished sweep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_after: Option<String>,
    /// Targets polled by this run.
    pub polled: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    /// Whether the sweep reached its end (else the next poll resumes after `last`).
    pub complete: bool,
    /// What the poll found that no event had reported: `resource: change`.
    pub recorded: Vec<String>,
    /// DynamoDB writes of resource states.
    pub state_writes: usize,
    /// "Sync Blocker Detected" events put on the bus.
    pub blockers_emitted: Vec<String>,
    /// Targets that could not be polled, and why.
    pub failures: Vec<PollFailure>,
    /// Targets not read because their last read was denied (AccessDenied) less than the
    /// recheck period ago.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_denied: Vec<String>,
}

/// A poll that could not run at all (the next scheduled poll tries again).
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("discovery failed: {0}")]
    Discovery(ApiError),
}

impl Failure for PollError {
    fn is_retryable(&self) -> bool {
        match self {
            PollError::Store(error) => error.is_retryable(),
            PollError::Discovery(error) => error.is_retryable(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            PollError::Store(error) => error.kind(),
            PollError::Discovery(_) => "DiscoveryFailure",
        }
    }
}

impl From<PollError> for lambda_runtime::Diagnostic {
    fn from(error: PollError) -> Self {
        lambda::diagnostic(&error)
    }
}

/// Why one target could not be polled.
#[derive(Debug, thiserror::Error)]
enum TargetError {
    /// The role may not read it: recorded on the resource, not retried.
    #[error("{}", denial(.error))]
    Denied { error: ApiError, recorded: TargetOutcome },
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Observe(#[from] ObserveError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A denied read as a person should read it: which action, on what, what AWS said.
fn denial(error: &ApiError) -> String {
    format!(
        "access denied: the poller's role may not call {} on {} ({})",
        error.iam_action(),
        error.subject,
        error.message
    )
}

/// What polling one target recorded.
#[derive(Debug, Default)]
struct TargetOutcome {
    recorded: Vec<String>,
    state_writes: usize,
    emitted: Vec<String>,
    /// Not read: access was denied recently.
    skipped: bool,
}

/// The poller: the control plane to read, the history to write, the bus to tell.
#[derive(Debug, Clone)]
pub struct Poller {
    control: ControlPlane,
    store: HistoryStore,
    emitter: Option<BlockerEmitter>,
    config: PollConfig,
}

impl Poller {
    /// A poller; without an emitter, new blockers are recorded but not announced.
    pub fn new(
        control: ControlPlane,
        store: HistoryStore,
        emitter: Option<BlockerEmitter>,
        config: PollConfig,
    ) -> Self {
        Poller { control, store, emitter, config }
    }

    /// Polls until the sweep ends or `deadline` (minus the stop margin) is near.
    pub async fn run(&self, deadline: Instant) -> Result<PollReport, PollError> {
        let now = Utc::now();
        let budget = deadline.saturating_duration_since(Instant::now());
        tracing::info!(budget_ms = budget.as_millis() as u64, "poll started");
        let bookkeeping = self.store.poller().state().await?;
        let mut states = self.states().await?;
        let (targets, mut failures) = self.discover(now).await?;
        let pending = remaining(&targets, bookkeeping.resume_after.as_deref());
        let denied: HashSet<String> = bookkeeping
            .failures
            .values()
            .filter(|f| f.denied_action.is_some() && now - f.at < self.config.access_recheck)
            .map(|f| f.target.clone())
            .collect();
        // Targets start in order and every started one finishes: what ran is a prefix of
        // `pending`, so the resume point is simply the last one started.
        let mut results = self.poll_all(pending.iter(), &states, &denied, now, deadline).await;
        let polled = results.len();

        // One more try for what failed (throttling that outlasted the SDK's retries, …), but
        // not for a denial: IAM will say the same.
        let retry: Vec<&Target> = results
            .iter()
            .filter(|(_, r)| matches!(r, Err(e) if !matches!(e, TargetError::Denied { .. })))
            .map(|(t, _)| *t)
            .collect();
        if !retry.is_empty() {
            states = self.states().await?;
            let retried = self.poll_all(retry.into_iter(), &states, &denied, now, deadline).await;
            for (target, result) in retried {
                if let Some(slot) = results.iter_mut().find(|(t, _)| *t == target) {
                    slot.1 = result;
                }
            }
        }

        let mut report = PollReport {
            targets: targets.len(),
            resumed_after: bookkeeping.resume_after.clone(),
            polled,
            first: pending.first().filter(|_| polled > 0).map(Target::key),
            last: polled.checked_sub(1).map(|i| pending[i].key()),
            complete: polled == pending.len(),
            ..PollReport::default()
        };
        for (target, result) in results {
            let key = target.key();
            match result {
                Ok(outcome) if outcome.skipped => report.skipped_denied.push(key),
                Ok(outcome) => {
                    report.recorded.extend(outcome.recorded);
                    report.state_writes += outcome.state_writes;
                    report.blockers_emitted.extend(outcome.emitted);
                    if bookkeeping.failures.contains_key(&key) {
                        self.store.poller().clear_failure(&key).await?;
                    }
                }
                Err(TargetError::Denied { error, recorded }) => {
                    tracing::error!(
                        target = %key,
                        action = %error.iam_action(),
                        subject = %error.subject,
                        "access denied: target not polled until the recheck period has passed"
                    );
                    report.recorded.extend(recorded.recorded);
                    report.state_writes += recorded.state_writes;
                    failures.push(PollFailure {
                        target: key,
                        error: denial(&error),
                        at: now,
                        denied_action: Some(error.iam_action()),
                    });
                }
                Err(error) => {
                    tracing::warn!(target = %key, error = %error, "target not polled");
                    failures.push(PollFailure {
                        target: key,
                        error: error.to_string(),
                        at: now,
                        denied_action: None,
                    });
                }
            }
        }
        for failure in &failures {
            self.store.poller().save_failure(failure).await?;
        }
        report.failures = failures;
        match (report.complete, &bookkeeping.resume_after) {
            (true, Some(_)) => self.store.poller().save_resume_point(None).await?,
            (true, None) => {}
            // Nothing started (the deadline was already near): keep the resume point as is.
            (false, _) if report.last.is_none() => {}
            (false, _) => self.store.poller().save_resume_point(report.last.as_deref()).await?,
        }
        tracing::info!(
            targets = report.targets,
            polled = report.polled,
            complete = report.complete,
            recorded = report.recorded.len(),
            state_writes = report.state_writes,
            failures = report.failures.len(),
            "poll finished"
        );
        Ok(report)
    }

    /// Every stored state by resource (one status-index query).
    async fn states(&self) -> Result<HashMap<ResourceId, ResourceState>, StoreError> {
        let states = self.store.states(StateFilter::All).await?;
        Ok(states.into_iter().map(|s| (s.resource.clone(), s)).collect())
    }

    /// Polls `targets` in order, at most `concurrency` at once, starting none once the deadline
    /// (less the stop margin) is near; every started target finishes.
    async fn poll_all<'t>(
        &self,
        targets: impl Iterator<Item = &'t Target>,
        states: &HashMap<ResourceId, ResourceState>,
        denied: &HashSet<String>,
        now: DateTime<Utc>,
        deadline: Instant,
    ) -> Vec<(&'t Target, Result<TargetOutcome, TargetError>)> {
        let time_left =
            || deadline.saturating_duration_since(Instant::now()) > self.config.stop_margin;
        stream::iter(targets)
            .take_while(|_| future::ready(time_left()))
            .map(|target| {
                let state = states.get(&target.resource()).cloned();
                let skip = denied.contains(&target.key());
                async move {
                    if skip {
                        return (target, Ok(TargetOutcome { skipped: true, ..Default::default() }));
                    }
                    (target, self.poll(target, state, now).await)
                }
            })
            .buffer_unordered(self.config.concurrency)
            .collect()
            .await
    }

    /// Every target of the sweep; a link whose configurations cannot be listed is a failure,
    /// not the end of the poll.
    async fn discover(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Target>, Vec<PollFailure>), PollError> {
        let (links, pipelines) =
            tokio::join!(self.control.repository_links(), self.control.pipeline_names());
        let links = links.map_err(PollError::Discovery)?;
        let pipelines = pipelines.map_err(PollError::Discovery)?;
        let listed: Vec<_> = stream::iter(&links)
            .map(|link| async move { (link, self.control.sync_configurations(&link.id).await) })
            .buffer_unordered(self.config.concurrency)
            .collect()
            .await;
        let mut configs = Vec::new();
        let mut failures = Vec::new();
        for (link, result) in listed {
            match result {
                Ok(found) => configs.extend(found),
                Err(error) => failures.push(PollFailure {
                    target: format!("repository-link/{}", link.id),
                    denied_action: error.is_access_denied().then(|| error.iam_action()),
                    error: error.to_string(),
                    at: now,
                }),
            }
        }
        Ok((plan(&links, &configs, &pipelines, &self.config.pipelines), failures))
    }

    /// Reads one target and records what changed; a denied read is recorded on the target's
    /// resource (failing, notified once) and a read that works again says access is back.
    async fn poll(
        &self,
        target: &Target,
        state: Option<ResourceState>,
        now: DateTime<Utc>,
    ) -> Result<TargetOutcome, TargetError> {
        match self.read(target, now).await {
            Err(TargetError::Api(error)) if error.is_access_denied() => {
                let denial = observe::access_denied(
                    target.resource(),
                    &error.iam_action(),
                    &error.subject,
                    error.code.clone(),
                    now,
                )?;
                let recorded = self.record(vec![denial], state, now).await?;
                Err(TargetError::Denied { error, recorded })
            }
            Err(error) => Err(error),
            Ok(observations) => {
                let restored = observe::access_restored(state.as_ref(), now)?;
                self.record(restored.into_iter().chain(observations).collect(), state, now).await
            }
        }
    }

    /// What AWS says about one target now.
    async fn read(
        &self,
        target: &Target,
        now: DateTime<Utc>,
    ) -> Result<Vec<Observation>, TargetError> {
        let observations = match target {
            Target::Stack { stack, branch, repository, provider } => {
                let (sync, blockers) =
                    tokio::join!(self.control.stack_sync(stack), self.control.blockers(stack));
                let mut observations = Vec::new();
                if let Some(mut sync) = sync? {
                    sync.branch.get_or_insert_with(|| branch.to_string());
                    sync.repository.get_or_insert_with(|| repository.clone());
                    sync.provider.get_or_insert_with(|| provider.clone());
                    observations.push(observe::stack_sync(&sync, now, self.config.stuck_after)?);
                }
                observations.extend(observe::blockers(stack, &blockers?)?);
                observations
            }
            Target::Repository { link, branch, repository } => {
                match self.control.repository_sync(link, branch, repository).await? {
                    Some(sync) => vec![observe::repository_sync(&sync)?],
                    None => Vec::new(),
                }
            }
            Target::Pipeline(name) => match self.control.pipeline_run(name).await? {
                Some(run) => vec![observe::pipeline_run(&run)?],
                None => Vec::new(),
            },
            Target::Connection { arn, .. } => {
                vec![observe::connection(&self.control.connection(arn).await?, now)?]
            }
        };
        Ok(observations)
    }

    /// Records a target's observations in order, announcing each new ACTIVE blocker first:
    /// if the announcement fails the blocker is not recorded, so the next poll tries again.
    async fn record(
        &self,
        observations: Vec<Observation>,
        mut state: Option<ResourceState>,
        now: DateTime<Utc>,
    ) -> Result<TargetOutcome, TargetError> {
        let mut outcome = TargetOutcome::default();
        for observation in observations {
            let announce = observe::is_new_active_blocker(state.as_ref(), &observation)
                || observe::needs_another_attempt(
                    state.as_ref(),
                    &observation,
                    now,
                    self.config.reannounce_after,
                );
            if announce
                && let Some(emitter) = &self.emitter
                && let Some(detail) =
                    BlockerDetected::from_observation(&observation, state.as_ref())
            {
                emitter.emit(&detail).await?;
                outcome.emitted.push(format!("{}/{}", detail.stack, detail.blocker_id));
            }
            let (recorded, after) = self.store.record_on(&observation, state).await?;
            state = after;
            if recorded.history == Appended::New {
                outcome.recorded.push(format!(
                    "{}: {}",
                    observation.resource,
                    observation.change.label()
                ));
            }
            if recorded.state == StateWrite::Written {
                outcome.state_writes += 1;
            }
        }
        Ok(outcome)
    }
}
