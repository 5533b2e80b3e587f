//! The one table every record kind lives in, and the calls they all share: a consistent get, a
//! put of an item that carries its own keys, a delete, the decoding of what comes back, and
//! [`conditional`], the one way a conditional write's "someone got there first" is told apart
//! from a failure.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// The table and the client that reaches it. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) client: Client,
    pub(crate) name: String,
}

/// A string attribute.
pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// The outcome of a conditional write: `true` written, `false` the condition did not hold
/// (the normal "someone got there first" answer, not an error).
pub(crate) fn conditional<T, E, R>(
    operation: &'static str,
    table: &str,
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error().and_then(|s| s.code())
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(e) => Err(StoreError::dynamo(operation, table, e)),
    }
}

impl Table {
    /// The item at (`pk`, `sk`), read strongly consistent and decoded.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("GetItem", &self.name, e))?;
        output.item.map(|item| self.decode(item)).transpose()
    }

    /// Writes `item` (which carries its own `pk` and `sk`), replacing what was there.
    pub(crate) async fn put<T: Serialize>(&self, item: &T) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(item).map_err(StoreError::build)?;
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem", &self.name, e))?;
        Ok(())
    }

    /// Writes `item` (which carries its own keys) if `condition` holds, with its placeholder
    /// `names` and `values`: `false` when it did not (someone got there first).
    pub(crate) async fn put_if<T: Serialize>(
        &self,
        item: &T,
        condition: &str,
        names: &[(&str, &str)],
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, StoreError> {
        let item = serde_dynamo::to_item(item).map_err(StoreError::build)?;
        let mut request = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(condition);
        for (placeholder, name) in names {
            request = request.expression_attribute_names(*placeholder, *name);
        }
        for (placeholder, value) in values {
            request = request.expression_attribute_values(*placeholder, value.clone());
        }
        conditional("PutItem", &self.name, request.send().await)
    }

    /// Deletes the item at (`pk`, `sk`), if any.
    pub(crate) async fn delete(&self, pk: String, sk: String) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.name)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("DeleteItem", &self.name, e))?;
        Ok(())
    }

    /// Decodes an item; one that is not a syncwarden record is [`StoreError::Corrupt`], named
    /// by its keys.
    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        item: HashMap<String, AttributeValue>,
    ) -> Result<T, StoreError> {
        let key = |item: &HashMap<String, AttributeValue>, name: &str| {
            item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
        };
        let where_ = format!("{} {}", key(&item, "pk"), key(&item, "sk"));
        serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
            table: self.name.clone(),
            key: where_,
            message: e.to_string(),
        })
    }
}
