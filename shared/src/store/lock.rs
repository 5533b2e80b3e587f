//! Short leases in the table, so two invocations never act on the same thing at once.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, Utc};

use super::StoreError;
use super::table::{Table, conditional, s};

/// The locks in the table (`pk = LOCK#<name>`).
#[derive(Debug, Clone, Copy)]
pub struct Locks<'t> {
    table: &'t Table,
}

impl<'t> Locks<'t> {
    pub(crate) fn new(table: &'t Table) -> Self {
        Locks { table }
    }

    /// Takes the lock `name` for `lease` unless someone holds it; `false` when taken.
    pub async fn acquire(self, name: &str, lease: Duration) -> Result<bool, StoreError> {
        let now = Utc::now();
        let result = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item("pk", s(format!("LOCK#{name}")))
            .item("sk", s("LOCK"))
            .item("lease_until", AttributeValue::N((now + lease).timestamp().to_string()))
            .item(
                "expires_at",
                AttributeValue::N((now + Duration::days(1)).timestamp().to_string()),
            )
            // Free, or held by someone whose lease ran out (it crashed).
            .condition_expression("attribute_not_exists(pk) OR lease_until < :now")
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .send()
            .await;
        conditional("PutItem", &self.table.name, result)
    }

    /// Gives the lock back.
    pub async fn release(self, name: &str) -> Result<(), StoreError> {
        self.table.delete(format!("LOCK#{name}"), "LOCK".to_owned()).await
    }
}
