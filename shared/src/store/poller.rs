//! The poller's own bookkeeping, in the same table under `pk = POLLER`: where an unfinished
//! sweep stopped, and which targets failed (until they succeed again).
//!
//! Nothing here is written by a poll that finishes its sweep with no failures and had none
//! before: a steady-state poll costs no write.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::table::{Table, s};

const POLLER_PK: &str = "POLLER";
const CURSOR_SK: &str = "CURSOR";
const FAILURE_PREFIX: &str = "FAILURE#";
/// A failure record outlives its target by this much (a removed stack's failure expires).
const FAILURE_RETENTION_DAYS: i64 = 7;

/// What the previous polls left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollerState {
    /// The key of the last target an unfinished sweep started; the next poll resumes after it.
    pub resume_after: Option<String>,
    /// Targets whose last poll failed, by target key.
    pub failures: BTreeMap<String, PollFailure>,
}

/// The last failure of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollFailure {
    pub target: String,
    pub error: String,
    pub at: DateTime<Utc>,
    /// The IAM action the role lacks, when the failure was AccessDenied: such a target is not
    /// read again until the recheck period has passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_action: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct CursorItem {
    pk: String,
    sk: String,
    resume_after: String,
    at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct FailureItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    failure: PollFailure,
    expires_at: i64,
}

/// The poller's bookkeeping in the table (`pk = POLLER`).
#[derive(Debug, Clone, Copy)]
pub struct PollerBook<'t> {
    table: &'t Table,
}

impl<'t> PollerBook<'t> {
    pub(crate) fn new(table: &'t Table) -> Self {
        PollerBook { table }
    }

    /// Reads the poller's bookkeeping (one `Query`).
    pub async fn state(self) -> Result<PollerState, StoreError> {
        let mut pages = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(POLLER_PK))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut state = PollerState::default();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| StoreError::dynamo("Query", &self.table.name, e))?;
            let sk = item.get("sk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            if sk == CURSOR_SK {
                let cursor: CursorItem = self.table.decode(item)?;
                state.resume_after = Some(cursor.resume_after);
            } else if sk.starts_with(FAILURE_PREFIX) {
                let failure: FailureItem = self.table.decode(item)?;
                state.failures.insert(failure.failure.target.clone(), failure.failure);
            }
        }
        Ok(state)
    }

    /// Remembers where an unfinished sweep stopped (`Some`), or that the sweep is done (`None`).
    pub async fn save_resume_point(self, resume_after: Option<&str>) -> Result<(), StoreError> {
        match resume_after {
            Some(key) => {
                let item = CursorItem {
                    pk: POLLER_PK.into(),
                    sk: CURSOR_SK.into(),
                    resume_after: key.to_owned(),
                    at: Utc::now(),
                };
                self.table.put(&item).await?;
            }
            None => self.delete_poller_item(CURSOR_SK.to_owned()).await?,
        }
        Ok(())
    }

    /// Records that polling `failure.target` failed.
    pub async fn save_failure(self, failure: &PollFailure) -> Result<(), StoreError> {
        let item = FailureItem {
            pk: POLLER_PK.into(),
            sk: format!("{FAILURE_PREFIX}{}", failure.target),
            failure: failure.clone(),
            expires_at: (failure.at + Duration::days(FAILURE_RETENTION_DAYS)).timestamp(),
        };
        self.table.put(&item).await
    }

    /// Forgets a target's failure (it succeeded again).
    pub async fn clear_failure(self, target: &str) -> Result<(), StoreError> {
        self.delete_poller_item(format!("{FAILURE_PREFIX}{target}")).await
    }

    async fn delete_poller_item(self, sk: String) -> Result<(), StoreError> {
        self.table.delete(POLLER_PK.to_owned(), sk).await
    }
}
