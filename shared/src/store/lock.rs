//! Short leases in the table, so two invocations never act on the same thing at once.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, Utc};

use super::{HistoryStore, StoreError, conditional, s};

impl HistoryStore {
    /// Takes the lock `name` for `lease` unless someone holds it; `false` when taken.
    pub async fn try_lock(&self, name: &str, lease: Duration) -> Result<bool, StoreError> {
        let now = Utc::now();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
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
        conditional("PutItem", &self.table, result)
    }

    /// Gives the lock back.
    pub async fn unlock(&self, name: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("LOCK#{name}")))
            .key("sk", s("LOCK"))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("DeleteItem", &self.table, e))?;
        Ok(())
    }
}
