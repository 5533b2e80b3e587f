//! Webhook URLs and bot tokens, read from Secrets Manager once per container, never logged.

use std::collections::HashMap;
use std::fmt;

use tokio::sync::Mutex;

use crate::poll::ApiError;

/// A secret value. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Secrets by ARN (or name), fetched on first use and kept for the container's life.
#[derive(Debug)]
pub struct SecretCache {
    client: aws_sdk_secretsmanager::Client,
    values: Mutex<HashMap<String, Secret>>,
}

impl SecretCache {
    /// A cache over `client`.
    pub fn new(client: aws_sdk_secretsmanager::Client) -> Self {
        SecretCache { client, values: Mutex::new(HashMap::new()) }
    }

    /// The secret's string value. Surrounding whitespace (a trailing newline pasted into the
    /// console) is trimmed.
    pub async fn get(&self, id: &str) -> Result<Secret, ApiError> {
        if let Some(value) = self.values.lock().await.get(id) {
            return Ok(value.clone());
        }
        let output = self
            .client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| ApiError::new("GetSecretValue", id, e))?;
        let value =
            output.secret_string().map(str::trim).filter(|v| !v.is_empty()).ok_or_else(|| {
                ApiError {
                    operation: "GetSecretValue",
                    subject: id.to_owned(),
                    code: None,
                    message: "the secret has no string value".into(),
                }
            })?;
        let secret = Secret::new(value);
        self.values.lock().await.insert(id.to_owned(), secret.clone());
        Ok(secret)
    }
}
