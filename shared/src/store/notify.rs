//! The notifier's records in the table: each resource's incident (next to its state) and the
//! delivery ledger that makes every (transition, channel) message go out at most once.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{HistoryStore, StoreError, conditional, partition_key, s};
use crate::ids::ResourceId;
use crate::notify::incident::Incident;

const INCIDENT_SK: &str = "INCIDENT";
/// Ledger entries outlive any stream redelivery (24 h) by far, then expire.
const LEDGER_RETENTION_DAYS: i64 = 30;

#[derive(Serialize, Deserialize)]
struct IncidentItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    incident: Incident,
}

/// A ledger entry: a message to one channel for one transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LedgerItem {
    pk: String,
    sk: String,
    status: LedgerStatus,
    /// While claimed: until when the claimer may send before others may take over.
    lease_until: i64,
    /// Who claimed it: the SDK's retry of a claim whose answer was lost finds its own claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claimed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sent_at: Option<DateTime<Utc>>,
    /// Slack `ts` of what was posted (a thread root is found again through it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    slack_ts: Option<String>,
    expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum LedgerStatus {
    Claimed,
    Sent,
}

/// What claiming a delivery found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours to send; mark it sent (or release it) afterwards.
    Acquired,
    /// Already delivered (with the Slack `ts`, if it was a Slack post).
    AlreadySent { slack_ts: Option<String> },
    /// Another invocation is sending it right now: try again later.
    Busy,
}

/// A token unique to one claimer (process, time, sequence): no two deliveries share it.
pub fn claim_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("{}-{nanos}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

fn ledger_key(transition: &str, channel: &str) -> (String, String) {
    (format!("LEDGER#{transition}"), channel.to_owned())
}

impl HistoryStore {
    /// The resource's incident (open, or the last one closed), if any.
    pub async fn incident(&self, resource: &ResourceId) -> Result<Option<Incident>, StoreError> {
        let item: Option<IncidentItem> = self.get(partition_key(resource), INCIDENT_SK).await?;
        Ok(item.map(|i| i.incident))
    }

    /// Stores an incident unless a newer state version was already applied to it.
    /// Returns `false` when it was (a concurrent or earlier delivery got there first).
    pub async fn put_incident(&self, incident: &Incident) -> Result<bool, StoreError> {
        let item = IncidentItem {
            pk: partition_key(&incident.resource),
            sk: INCIDENT_SK.into(),
            incident: incident.clone(),
        };
        let item = serde_dynamo::to_item(&item).map_err(StoreError::build)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR last_version < :v")
            .expression_attribute_values(":v", AttributeValue::N(incident.last_version.to_string()))
            .send()
            .await;
        conditional("PutItem", &self.table, result)
    }

    /// Claims the delivery of `transition` to `channel` for `lease` (a conditional write before
    /// sending: of two concurrent invocations, one gets it). `token` names this claimer (see
    /// [`claim_token`]); a retry with the same token finds its own claim acquired.
    pub async fn claim_delivery(
        &self,
        transition: &str,
        channel: &str,
        lease: Duration,
        token: &str,
    ) -> Result<Claim, StoreError> {
        let now = Utc::now();
        let (pk, sk) = ledger_key(transition, channel);
        let item = LedgerItem {
            pk: pk.clone(),
            sk: sk.clone(),
            status: LedgerStatus::Claimed,
            lease_until: (now + lease).timestamp(),
            claimed_by: Some(token.to_owned()),
            sent_at: None,
            slack_ts: None,
            expires_at: (now + Duration::days(LEDGER_RETENTION_DAYS)).timestamp(),
        };
        let item = serde_dynamo::to_item(&item).map_err(StoreError::build)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            // New, or a claim whose claimer died before sending (its lease ran out), or this
            // very claim: the SDK resends a request whose answer was lost (a 500 after the
            // write), and that must not read as someone else's claim.
            .condition_expression(
                "attribute_not_exists(pk) OR (#status = :claimed AND \
                 (lease_until < :now OR claimed_by = :me))",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":me", s(token))
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .send()
            .await;
        if conditional("PutItem", &self.table, result)? {
            return Ok(Claim::Acquired);
        }
        // Someone else holds it: sent already, or being sent right now.
        let entry: Option<LedgerItem> = self.get(pk, &sk).await?;
        Ok(match entry {
            Some(LedgerItem { status: LedgerStatus::Sent, slack_ts, .. }) => {
                Claim::AlreadySent { slack_ts }
            }
            _ => Claim::Busy,
        })
    }

    /// Marks a claimed delivery as sent.
    pub async fn mark_delivered(
        &self,
        transition: &str,
        channel: &str,
        slack_ts: Option<&str>,
    ) -> Result<(), StoreError> {
        let (pk, sk) = ledger_key(transition, channel);
        let expression = match slack_ts {
            Some(_) => "SET #status = :sent, sent_at = :at, slack_ts = :ts",
            None => "SET #status = :sent, sent_at = :at",
        };
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(expression)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":at", s(Utc::now().to_rfc3339()));
        let request = match slack_ts {
            Some(ts) => request.expression_attribute_values(":ts", s(ts)),
            None => request,
        };
        request.send().await.map_err(|e| StoreError::dynamo("UpdateItem", &self.table, e))?;
        Ok(())
    }

    /// Gives a claim back after a failed send, so the redelivery can send at once.
    pub async fn release_delivery(
        &self,
        transition: &str,
        channel: &str,
    ) -> Result<(), StoreError> {
        let (pk, sk) = ledger_key(transition, channel);
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("#status = :claimed")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":claimed", s("claimed"))
            .send()
            .await;
        // Not claimed any more (sent after all, or taken over): nothing to give back.
        conditional("DeleteItem", &self.table, result).map(drop)
    }
}
