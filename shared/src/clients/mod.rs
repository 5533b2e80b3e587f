//! The clients room: one module per outside system syncwarden talks to, each a thin wrapper
//! that speaks the system's terms and returns plain data or a typed error. Nothing here
//! decides anything: the pure rules ([`crate::observe`], [`crate::notify::incident`],
//! [`crate::resolve::policy`], the renderers) decide, and the use cases call these.
//!
//! - [`control_plane`]: CodeConnections (Git sync) and CodePipeline, read by the poller and the
//!   resolver, and the resolver's one write (`UpdateSyncBlocker`);
//! - [`cloudformation`]: a stack's status (`DescribeStacks`);
//! - [`eventbridge`]: "Sync Blocker Detected" onto syncwarden's bus;
//! - [`secrets`]: Secrets Manager, cached;
//! - [`sns`]: publishing to a topic;
//! - [`slack`]: Slack's incoming webhooks and Web API over HTTPS.
//!
//! The DynamoDB history has a room of its own ([`crate::store`]); the SDK configuration every
//! AWS client is built from is [`crate::aws`]; the Lambda runtime glue is [`crate::lambda`].
//! A new outside system (Mesa, next) gets a module here.

pub mod cloudformation;
pub mod control_plane;
pub mod eventbridge;
pub mod secrets;
pub mod slack;
pub mod sns;

use aws_sdk_codeconnections::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

pub use cloudformation::Stacks;
pub use control_plane::{ControlPlane, Resolution};
pub use eventbridge::BlockerEmitter;
pub use secrets::{Secret, SecretCache};
pub use slack::{SlackClient, SlackError};
pub use sns::SnsPublisher;

/// A call to an AWS service that failed (after the SDK's retries), or whose answer could not
/// be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} {subject}: {message}")]
pub struct ApiError {
    pub operation: &'static str,
    pub subject: String,
    /// The service's error code, when it answered (`ThrottlingException`, …).
    pub code: Option<String>,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new<E, R>(
        operation: &'static str,
        subject: impl Into<String>,
        error: SdkError<E, R>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let service = error.as_service_error();
        let code = service.and_then(|e| e.code()).map(str::to_owned);
        // The service's own words when it answered; the whole chain (timeouts, connection
        // errors) otherwise. The raw response stays out of logs and records.
        let message = match (service.and_then(|e| e.message()), &code) {
            (Some(message), Some(code)) => format!("{code}: {message}"),
            (None, Some(code)) => code.clone(),
            _ => DisplayErrorContext(&error).to_string(),
        };
        ApiError { operation, subject: subject.into(), code, message }
    }

    pub(crate) fn invalid(
        operation: &'static str,
        subject: impl Into<String>,
        message: String,
    ) -> Self {
        ApiError { operation, subject: subject.into(), code: None, message }
    }

    /// Whether the role may not make this call (`AccessDeniedException`; CloudFormation's
    /// awsQuery says `AccessDenied`): retrying cannot help until someone changes IAM.
    pub fn is_access_denied(&self) -> bool {
        matches!(self.code.as_deref(), Some("AccessDeniedException" | "AccessDenied"))
    }

    /// The IAM action this call needs, e.g. `codeconnections:GetSyncBlockerSummary`.
    pub fn iam_action(&self) -> String {
        let service = match self.operation {
            "DescribeStacks" | "DescribeStackEvents" => "cloudformation",
            op if op.contains("Pipeline") || op == "ListActionExecutions" => "codepipeline",
            _ => "codeconnections",
        };
        format!("{service}:{}", self.operation)
    }

    pub(crate) fn is_not_found(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some("ResourceNotFoundException" | "PipelineNotFoundException")
        )
    }
}
