//! The notifier's delivery ledger (`pk = LEDGER#<transition>`, `sk = <channel>`): it makes
//! every (transition, channel) message go out at most once.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::table::{Table, conditional, s};

/// Ledger entries outlive any stream redelivery (24 h) by far, then expire.
const LEDGER_RETENTION_DAYS: i64 = 30;

/// The delivery ledger in the table.
#[derive(Debug, Clone, Copy)]
pub struct Ledger<'t> {
    table: &'t Table,
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

impl<'t> Ledger<'t> {
    pub(crate) fn new(table: &'t Table) -> Self {
        Ledger { table }
    }

    /// Claims the delivery of `transition` to `channel` for `lease` (a conditional write before
    /// sending: of two concurrent invocations, one gets it). `token` names this claimer (see
    /// [`claim_token`]); a retry with the same token finds its own claim acquired.
    pub async fn claim(
        self,
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
        // New, or a claim whose claimer died before sending (its lease ran out), or this very
        // claim: the SDK resends a request whose answer was lost (a 500 after the write), and
        // that must not read as someone else's claim.
        let condition = "attribute_not_exists(pk) OR (#status = :claimed AND \
                         (lease_until < :now OR claimed_by = :me))";
        let values = [
            (":claimed", s("claimed")),
            (":me", s(token)),
            (":now", AttributeValue::N(now.timestamp().to_string())),
        ];
        if self.table.put_if(&item, condition, &[("#status", "status")], &values).await? {
            return Ok(Claim::Acquired);
        }
        // Someone else holds it: sent already, or being sent right now.
        let entry: Option<LedgerItem> = self.table.get(pk, &sk).await?;
        Ok(match entry {
            Some(LedgerItem { status: LedgerStatus::Sent, slack_ts, .. }) => {
                Claim::AlreadySent { slack_ts }
            }
            _ => Claim::Busy,
        })
    }

    /// Marks a claimed delivery as sent.
    pub async fn mark_sent(
        self,
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
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
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
        request.send().await.map_err(|e| StoreError::dynamo("UpdateItem", &self.table.name, e))?;
        Ok(())
    }

    /// Gives a claim back after a failed send, so the redelivery can send at once.
    pub async fn release(self, transition: &str, channel: &str) -> Result<(), StoreError> {
        let (pk, sk) = ledger_key(transition, channel);
        let result = self
            .table
            .client
            .delete_item()
            .table_name(&self.table.name)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("#status = :claimed")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":claimed", s("claimed"))
            .send()
            .await;
        // Not claimed any more (sent after all, or taken over): nothing to give back.
        conditional("DeleteItem", &self.table.name, result).map(drop)
    }
}
