//! Secrets Manager: webhook URLs and bot tokens, read and cached for a while, never logged.
//!
//! A cached value is trusted for [`SECRET_TTL`], so a rotated secret is picked up within that
//! time even while the old credential still works, and at once when Slack refuses the old one
//! (the caller [`evict`](SecretCache::evict)s it). Either way no redeploy is needed.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::clients::ApiError;

/// How long a secret read from Secrets Manager is used before it is read again. Five minutes
/// costs one `GetSecretValue` per secret and container every five minutes, and bounds how long
/// a warm container keeps using a credential that was rotated but not yet revoked.
pub const SECRET_TTL: Duration = Duration::from_secs(300);

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

#[derive(Debug)]
struct Cached {
    value: Secret,
    read_at: Instant,
}

/// Secrets by ARN (or name), read on first use and again once their TTL has passed.
#[derive(Debug)]
pub struct SecretCache {
    client: aws_sdk_secretsmanager::Client,
    ttl: Duration,
    values: Mutex<HashMap<String, Cached>>,
}

impl SecretCache {
    /// A cache over `client` with [`SECRET_TTL`].
    pub fn new(client: aws_sdk_secretsmanager::Client) -> Self {
        Self::with_ttl(client, SECRET_TTL)
    }

    /// A cache over `client` that keeps a value for `ttl`.
    pub fn with_ttl(client: aws_sdk_secretsmanager::Client, ttl: Duration) -> Self {
        SecretCache { client, ttl, values: Mutex::new(HashMap::new()) }
    }

    /// The secret's string value. Surrounding whitespace (a trailing newline pasted into the
    /// console) is trimmed.
    pub async fn get(&self, id: &str) -> Result<Secret, ApiError> {
        if let Some(cached) = self.values.lock().await.get(id)
            && cached.read_at.elapsed() < self.ttl
        {
            return Ok(cached.value.clone());
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
        let cached = Cached { value: secret.clone(), read_at: Instant::now() };
        self.values.lock().await.insert(id.to_owned(), cached);
        Ok(secret)
    }

    /// Forgets the cached value of `id` (Slack refused it), so the next [`get`](Self::get)
    /// reads the secret's current value.
    pub async fn evict(&self, id: &str) {
        self.values.lock().await.remove(id);
    }
}
