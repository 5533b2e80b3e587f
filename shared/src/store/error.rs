//! What can go wrong talking to the table.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// A store failure. All but `Corrupt` are worth retrying (a later attempt may succeed).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} on table `{table}` failed: {message}")]
    Dynamo {
        operation: &'static str,
        table: String,
        /// The service's error code (e.g. `ResourceNotFoundException`), when it answered.
        code: Option<String>,
        message: String,
    },
    #[error("item `{key}` in table `{table}` is not a syncwarden record: {message}")]
    Corrupt { table: String, key: String, message: String },
    #[error("could not build the DynamoDB request: {0}")]
    Request(String),
    #[error("the state of {resource} changed under each of {attempts} attempts to update it")]
    Contention { resource: String, attempts: u32 },
}

impl StoreError {
    pub(crate) fn dynamo<E, R>(operation: &'static str, table: &str, error: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let code = error.as_service_error().and_then(|e| e.code()).map(str::to_owned);
        let message = match code.as_deref() {
            Some("ResourceNotFoundException") => {
                "table not found (check TABLE_NAME, or run `syncwarden init` locally)".to_owned()
            }
            _ => DisplayErrorContext(&error).to_string(),
        };
        StoreError::Dynamo { operation, table: table.to_owned(), code, message }
    }

    pub(crate) fn build(error: impl std::fmt::Display) -> Self {
        StoreError::Request(error.to_string())
    }

    /// Whether the table simply does not exist (a setup problem, not a transient one).
    pub fn is_table_missing(&self) -> bool {
        matches!(self, StoreError::Dynamo { code: Some(code), .. } if code == "ResourceNotFoundException")
    }
}
