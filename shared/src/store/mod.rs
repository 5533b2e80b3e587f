//! The sync history on DynamoDB: one table, one partition per resource.
//!
//! | item          | pk             | sk              | status-index            |
//! |---------------|----------------|-----------------|-------------------------|
//! | history entry | `R#<resource>` | `H#<order key>` | —                       |
//! | current state | `R#<resource>` | `STATE`         | `STATE`, `<health>#<resource>` |
//!
//! History is read newest-first by `Query` on the partition; "every resource" and "every
//! failing resource" are one `Query` each on the sparse status index. Nothing scans.
//!
//! The other record kinds share the table behind small types of their own, each reached from
//! the store: [`Incidents`] (next to the state), the delivery [`Ledger`], [`Locks`] and the
//! poller's [`PollerBook`]. They share [`table::Table`]'s calls and its one conditional-write
//! helper.

mod error;
mod incidents;
mod ledger;
mod lock;
mod poller;
pub mod schema;
mod table;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use error::StoreError;
pub use incidents::Incidents;
pub use ledger::{Claim, Ledger, claim_token};
pub use lock::Locks;
pub use poller::{PollFailure, PollerBook, PollerState};
pub use schema::TABLE;
use table::{Table, s};

use crate::ids::ResourceId;
use crate::observation::{Observation, ObservedBy};
use crate::reconcile::{Reconciled, ResourceState, reconcile};
use crate::status::Health;

const STATE_SK: &str = "STATE";
const HISTORY_PREFIX: &str = "H#";
/// Optimistic-lock retries before giving up (and letting Lambda retry the event).
const STATE_ATTEMPTS: u32 = 5;

/// How long history items live before DynamoDB's TTL removes them, counted from the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(Duration);

impl Retention {
    /// The default: 90 days.
    pub const DEFAULT_DAYS: u32 = 90;

    /// A retention of `days` days.
    pub fn days(days: u32) -> Self {
        Retention(Duration::days(i64::from(days)))
    }
}

impl Default for Retention {
    fn default() -> Self {
        Retention::days(Self::DEFAULT_DAYS)
    }
}

/// One history entry as stored: the observation and when syncwarden recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    #[serde(flatten)]
    pub observation: Observation,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct HistoryItem<'a> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    observation: &'a Observation,
    recorded_at: DateTime<Utc>,
    expires_at: i64,
}

#[derive(Serialize)]
struct StateItem<'a> {
    pk: String,
    sk: &'static str,
    gsi1pk: &'static str,
    gsi1sk: String,
    #[serde(flatten)]
    state: &'a ResourceState,
}

/// Whether an append added an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Appended {
    /// A new history entry.
    New,
    /// This event was already recorded (redelivery): nothing was added.
    Duplicate,
    /// Not appended: the resource is not one syncwarden tracks, or a poll found nothing new.
    Skipped,
}

/// What happened to the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StateWrite {
    /// The observation was newer: the state was written.
    Written,
    /// The state already reflected it (or it is history-only): no write.
    Unchanged,
    /// Not a resource syncwarden tracks (a stack Git sync never named).
    Untracked,
}

/// The outcome of recording one observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordOutcome {
    pub history: Appended,
    pub state: StateWrite,
    /// The resource's health after recording, when it is tracked.
    pub health: Option<Health>,
}

/// Which current states to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    All,
    Failing,
}

/// The DynamoDB sync history: each resource's history and current state, and the way to the
/// table's other record kinds. Cheap to clone; build one per container and share it.
#[derive(Debug, Clone)]
pub struct HistoryStore {
    table: Table,
    retention: Retention,
}

fn partition_key(resource: &ResourceId) -> String {
    format!("R#{resource}")
}

impl HistoryStore {
    /// A store on `table`, keeping history for `retention`.
    pub fn new(client: Client, table: impl Into<String>, retention: Retention) -> Self {
        HistoryStore { table: Table { client, name: table.into() }, retention }
    }

    /// Each resource's incident.
    pub fn incidents(&self) -> Incidents<'_> {
        Incidents::new(&self.table)
    }

    /// The notifier's delivery ledger.
    pub fn ledger(&self) -> Ledger<'_> {
        Ledger::new(&self.table)
    }

    /// Short leases, so two invocations never act on the same thing at once.
    pub fn locks(&self) -> Locks<'_> {
        Locks::new(&self.table)
    }

    /// The poller's bookkeeping.
    pub fn poller(&self) -> PollerBook<'_> {
        PollerBook::new(&self.table)
    }

    /// Records an observation: appends it to the history once, then folds it into the current
    /// state if it is newer. An untracked resource costs one read and no write.
    pub async fn record(&self, observation: &Observation) -> Result<RecordOutcome, StoreError> {
        let current = self.state(&observation.resource).await?;
        Ok(self.record_on(observation, current).await?.0)
    }

    /// [`record`](Self::record) given the state the caller already holds (the poller reads
    /// every state in one query); returns the state afterwards too.
    ///
    /// An event is appended even when the state does not change (it is history), and the
    /// state is reconciled even when the entry is a duplicate: a redelivery after a crash
    /// between the two writes must still reach the state (and costs no write if it already
    /// did). A poll that finds nothing new writes nothing at all.
    pub async fn record_on(
        &self,
        observation: &Observation,
        mut current: Option<ResourceState>,
    ) -> Result<(RecordOutcome, Option<ResourceState>), StoreError> {
        let mut reconciled = reconcile(current.as_ref(), observation);
        let skipped = |state| {
            let health = current.as_ref().map(|s: &ResourceState| s.health);
            let health = if state == StateWrite::Untracked { None } else { health };
            RecordOutcome { history: Appended::Skipped, state, health }
        };
        match &reconciled {
            Reconciled::Untracked => return Ok((skipped(StateWrite::Untracked), current)),
            // reconcile found nothing new; a poll is history only when it finds something.
            Reconciled::Unchanged if observation.observed_by == ObservedBy::Poll => {
                return Ok((skipped(StateWrite::Unchanged), current));
            }
            Reconciled::Unchanged | Reconciled::Changed(_) => {}
        }
        let history = self.append(observation).await?;
        for _ in 0..STATE_ATTEMPTS {
            let outcome = |state, health| RecordOutcome { history, state, health };
            match reconciled {
                Reconciled::Unchanged => {
                    let health = current.as_ref().map(|s| s.health);
                    return Ok((outcome(StateWrite::Unchanged, health), current));
                }
                Reconciled::Untracked => {
                    return Ok((outcome(StateWrite::Untracked, None), current));
                }
                Reconciled::Changed(next) => {
                    if self.put_state(&next).await? {
                        return Ok((outcome(StateWrite::Written, Some(next.health)), Some(next)));
                    }
                    // Someone wrote between our read and our write: read again, fold again.
                    current = self.state(&observation.resource).await?;
                    reconciled = reconcile(current.as_ref(), observation);
                }
            }
        }
        Err(StoreError::Contention {
            resource: observation.resource.to_string(),
            attempts: STATE_ATTEMPTS,
        })
    }

    /// Appends an observation to its resource's history, unless this event is already there.
    pub async fn append(&self, observation: &Observation) -> Result<Appended, StoreError> {
        let item = HistoryItem {
            pk: partition_key(&observation.resource),
            sk: format!("{HISTORY_PREFIX}{}", observation.order_key()),
            observation,
            recorded_at: Utc::now(),
            expires_at: (observation.at + self.retention.0).timestamp(),
        };
        Ok(match self.table.put_if(&item, "attribute_not_exists(pk)", &[], &[]).await? {
            true => Appended::New,
            false => Appended::Duplicate,
        })
    }

    /// The current state of a resource (strongly consistent), if it is tracked.
    pub async fn state(&self, resource: &ResourceId) -> Result<Option<ResourceState>, StoreError> {
        self.table.get(partition_key(resource), STATE_SK).await
    }

    /// Writes `state` if the stored version is still the one it was derived from.
    /// Returns `false` when another writer got there first.
    async fn put_state(&self, state: &ResourceState) -> Result<bool, StoreError> {
        let item = StateItem {
            pk: partition_key(&state.resource),
            sk: STATE_SK,
            gsi1pk: STATE_SK,
            gsi1sk: format!("{}#{}", state.health, state.resource),
            state,
        };
        match state.version {
            0 | 1 => self.table.put_if(&item, "attribute_not_exists(pk)", &[], &[]).await,
            version => {
                let expected = AttributeValue::N((version - 1).to_string());
                self.table
                    .put_if(&item, "version = :expected", &[], &[(":expected", expected)])
                    .await
            }
        }
    }

    /// A resource's history, newest first, at most `limit` entries.
    pub async fn history(
        &self,
        resource: &ResourceId,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let page_size = i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
        let mut pages = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("pk = :pk AND begins_with(sk, :history)")
            .expression_attribute_values(":pk", s(partition_key(resource)))
            .expression_attribute_values(":history", s(HISTORY_PREFIX))
            .scan_index_forward(false)
            .limit(page_size)
            .into_paginator()
            .items()
            .send();
        let mut entries = Vec::new();
        while entries.len() < limit {
            match pages.next().await {
                Some(item) => {
                    let item =
                        item.map_err(|e| StoreError::dynamo("Query", &self.table.name, e))?;
                    entries.push(self.table.decode(item)?);
                }
                None => break,
            }
        }
        Ok(entries)
    }

    /// The current state of every tracked resource, or of the failing ones only.
    pub async fn states(&self, filter: StateFilter) -> Result<Vec<ResourceState>, StoreError> {
        let mut request = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .index_name(schema::STATUS_INDEX)
            .expression_attribute_values(":state", s(STATE_SK));
        request = match filter {
            StateFilter::All => request.key_condition_expression("gsi1pk = :state"),
            StateFilter::Failing => request
                .key_condition_expression("gsi1pk = :state AND begins_with(gsi1sk, :failing)")
                .expression_attribute_values(":failing", s(format!("{}#", Health::Failing))),
        };
        let mut pages = request.into_paginator().items().send();
        let mut states = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| StoreError::dynamo("Query", &self.table.name, e))?;
            states.push(self.table.decode(item)?);
        }
        Ok(states)
    }
}
