//! The table's definition: the one source of truth for `syncwarden init`, the test harness and
//! `template.yaml` (whose table block is generated from [`TableDefinition::to_cloudformation`]
//! and checked against it by a test).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use super::StoreError;

/// Partition key: `R#<resource>` for everything about one resource.
pub const PARTITION_KEY: &str = "pk";
/// Sort key: `H#<order key>` for history, `STATE` for the current state.
pub const SORT_KEY: &str = "sk";
/// The sparse index over current-state items only.
pub const STATUS_INDEX: &str = "status-index";
/// Status index partition key: the constant `STATE` on state items, absent elsewhere.
pub const STATUS_INDEX_PK: &str = "gsi1pk";
/// Status index sort key: `<health>#<resource>`, so "failing" is one `begins_with` query.
pub const STATUS_INDEX_SK: &str = "gsi1sk";
/// Epoch seconds after which DynamoDB may delete a history item.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// A key attribute and its role.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    pub hash: bool,
}

/// A global secondary index (projection: all attributes).
#[derive(Debug, Clone, Copy)]
pub struct Index {
    pub name: &'static str,
    pub keys: [Key; 2],
}

/// The table, as data. All key attributes are strings.
#[derive(Debug, Clone, Copy)]
pub struct TableDefinition {
    pub keys: [Key; 2],
    pub indexes: &'static [Index],
    pub ttl_attribute: &'static str,
    /// The stream the notifier reads: both images, so a change's before and after are known.
    pub stream_view: &'static str,
}

/// syncwarden's one table.
pub const TABLE: TableDefinition = TableDefinition {
    keys: [Key { name: PARTITION_KEY, hash: true }, Key { name: SORT_KEY, hash: false }],
    indexes: &[Index {
        name: STATUS_INDEX,
        keys: [
            Key { name: STATUS_INDEX_PK, hash: true },
            Key { name: STATUS_INDEX_SK, hash: false },
        ],
    }],
    ttl_attribute: TTL_ATTRIBUTE,
    stream_view: "NEW_AND_OLD_IMAGES",
};

/// Why the table is encrypted with DynamoDB's AWS managed key rather than a customer key
/// (checkov's CKV_AWS_119), as lines of the generated block.
const CUSTOMER_KEY_SKIP_REASON: &[&str] = &[
    "Encrypted at rest with the AWS managed key (SSEEnabled). The history holds names,",
    "statuses, commits and blocker reasons, never a secret, and who may read it is decided by",
    "IAM on the table; a customer key would add a key policy for every reader (the CLI's",
    "users too) and protect nothing more.",
];

/// The marker lines around the generated block in `template.yaml`.
pub const TEMPLATE_BEGIN: &str =
    "  # BEGIN generated table (shared/src/store/schema.rs) -- do not edit by hand";
/// See [`TEMPLATE_BEGIN`].
pub const TEMPLATE_END: &str = "  # END generated table";

impl TableDefinition {
    fn attribute_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.keys.iter().map(|k| k.name).collect();
        for index in self.indexes {
            names.extend(index.keys.iter().map(|k| k.name));
        }
        names
    }

    fn key_schema(keys: &[Key; 2]) -> Result<Vec<KeySchemaElement>, StoreError> {
        keys.iter()
            .map(|k| {
                KeySchemaElement::builder()
                    .attribute_name(k.name)
                    .key_type(if k.hash { KeyType::Hash } else { KeyType::Range })
                    .build()
                    .map_err(StoreError::build)
            })
            .collect()
    }

    /// Creates the table `name` (on-demand) and turns on TTL. For local use and tests; in AWS
    /// the template creates it.
    pub async fn create(&self, client: &Client, name: &str) -> Result<(), StoreError> {
        let mut request = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .stream_specification(
                aws_sdk_dynamodb::types::StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::from(
                        self.stream_view,
                    ))
                    .build()
                    .map_err(StoreError::build)?,
            )
            .set_key_schema(Some(Self::key_schema(&self.keys)?));
        for attribute in self.attribute_names() {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(StoreError::build)?,
            );
        }
        for index in self.indexes {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(Self::key_schema(&index.keys)?))
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()
                    .map_err(StoreError::build)?,
            );
        }
        request.send().await.map_err(|e| StoreError::dynamo("CreateTable", name, e))?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(self.ttl_attribute)
                    .enabled(true)
                    .build()
                    .map_err(StoreError::build)?,
            )
            .send()
            .await
            .map_err(|e| StoreError::dynamo("UpdateTimeToLive", name, e))?;
        Ok(())
    }

    /// The `HistoryTable` resource for `template.yaml`, between the marker lines.
    pub fn to_cloudformation(&self) -> String {
        let mut out = String::new();
        let mut line = |text: &str| {
            out.push_str(text);
            out.push('\n');
        };
        let key_schema = |line: &mut dyn FnMut(&str), indent: &str, keys: &[Key; 2]| {
            for key in keys {
                line(&format!("{indent}- AttributeName: {}", key.name));
                line(&format!("{indent}  KeyType: {}", if key.hash { "HASH" } else { "RANGE" }));
            }
        };
        line(TEMPLATE_BEGIN);
        line("  HistoryTable:");
        line("    Type: AWS::DynamoDB::Table");
        line("    # The history is the product: keep it when the stack is deleted or replaced.");
        line("    DeletionPolicy: Retain");
        line("    UpdateReplacePolicy: Retain");
        line("    Metadata:");
        line("      checkov:");
        line("        skip:");
        line("          - id: CKV_AWS_119");
        line("            comment: >-");
        for text in CUSTOMER_KEY_SKIP_REASON {
            line(&format!("              {text}"));
        }
        line("    Properties:");
        line("      BillingMode: PAY_PER_REQUEST");
        // Deleting the table takes turning this off first: the stack's Retain policies do not
        // cover a `DeleteTable` call from elsewhere (a console click, a script).
        line("      DeletionProtectionEnabled: true");
        line("      AttributeDefinitions:");
        for attribute in self.attribute_names() {
            line(&format!("        - AttributeName: {attribute}"));
            line("          AttributeType: S");
        }
        line("      KeySchema:");
        key_schema(&mut line, "        ", &self.keys);
        line("      GlobalSecondaryIndexes:");
        for index in self.indexes {
            line(&format!("        - IndexName: {}", index.name));
            line("          KeySchema:");
            key_schema(&mut line, "            ", &index.keys);
            line("          Projection:");
            line("            ProjectionType: ALL");
        }
        line("      TimeToLiveSpecification:");
        line(&format!("        AttributeName: {}", self.ttl_attribute));
        line("        Enabled: true");
        line("      StreamSpecification:");
        line(&format!("        StreamViewType: {}", self.stream_view));
        line("      PointInTimeRecoverySpecification:");
        line("        PointInTimeRecoveryEnabled: true");
        line("      SSESpecification:");
        line("        SSEEnabled: true");
        line(TEMPLATE_END);
        out
    }
}

/// The generated block's markers are missing or out of order in a template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template has no `{TEMPLATE_BEGIN}` … `{TEMPLATE_END}` block to replace")]
pub struct NoTableBlock;

impl TableDefinition {
    /// `template` with its generated table block replaced by the current definition.
    pub fn splice_into(&self, template: &str) -> Result<String, NoTableBlock> {
        let begin = template.find(TEMPLATE_BEGIN).ok_or(NoTableBlock)?;
        let end_marker = template[begin..].find(TEMPLATE_END).ok_or(NoTableBlock)? + begin;
        let end = template[end_marker..].find('\n').map_or(template.len(), |i| end_marker + i + 1);
        Ok(format!("{}{}{}", &template[..begin], self.to_cloudformation(), &template[end..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_yaml_holds_the_generated_table_block() {
        let template = include_str!("../../../template.yaml");
        let expected = TABLE.to_cloudformation();
        assert!(
            template.contains(&expected),
            "template.yaml's table block differs from the schema; regenerate it with \
             `make template` (cargo run -p syncwarden-cli -- schema --cloudformation)"
        );
    }

    #[test]
    fn splicing_replaces_only_the_block() {
        let stale = format!("Resources:\n{TEMPLATE_BEGIN}\n  Old: x\n{TEMPLATE_END}\n  Next: y\n");
        let fresh = TABLE.splice_into(&stale).unwrap();
        assert_eq!(fresh, format!("Resources:\n{}  Next: y\n", TABLE.to_cloudformation()));
        assert_eq!(TABLE.splice_into("Resources: {}"), Err(NoTableBlock));
    }
}
