//! Each resource's incident, stored next to its state (`pk = R#<resource>`, `sk = INCIDENT`).
//!
//! The store keeps the record; what an incident is and how it moves is the notifier's
//! (`notify::incident`), so the record is generic over it and the store imports nothing from
//! the layer above.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::table::Table;
use super::{StoreError, partition_key};
use crate::ids::ResourceId;

const INCIDENT_SK: &str = "INCIDENT";

#[derive(Serialize, Deserialize)]
struct IncidentItem<T> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    incident: T,
}

/// The incidents in the table.
#[derive(Debug, Clone, Copy)]
pub struct Incidents<'t> {
    table: &'t Table,
}

impl<'t> Incidents<'t> {
    pub(crate) fn new(table: &'t Table) -> Self {
        Incidents { table }
    }

    /// The resource's incident (open, or the last one closed), if any.
    pub async fn get<T: DeserializeOwned>(
        self,
        resource: &ResourceId,
    ) -> Result<Option<T>, StoreError> {
        let item: Option<IncidentItem<T>> =
            self.table.get(partition_key(resource), INCIDENT_SK).await?;
        Ok(item.map(|i| i.incident))
    }

    /// Stores `incident` of `resource`, which has applied state versions up to `version`,
    /// unless a newer version was already applied to the stored one. Returns `false` when it
    /// was (a concurrent or earlier delivery got there first).
    pub async fn put<T: Serialize>(
        self,
        resource: &ResourceId,
        version: u64,
        incident: &T,
    ) -> Result<bool, StoreError> {
        let item = IncidentItem { pk: partition_key(resource), sk: INCIDENT_SK.into(), incident };
        let version = AttributeValue::N(version.to_string());
        let condition = "attribute_not_exists(pk) OR last_version < :v";
        self.table.put_if(&item, condition, &[], &[(":v", version)]).await
    }
}
