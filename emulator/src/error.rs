//! The modelled API errors the emulator answers with, and how each protocol puts them on the wire.

use axum::http::StatusCode;

/// An error of the emulated APIs. Each variant is a modelled AWS error shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("Unable to continue. The sync blocker does not exist.")]
    SyncBlockerDoesNotExist,
    #[error("Retrying the latest commit failed. Try again later.")]
    RetryLatestCommitFailed,
    #[error("Rate exceeded")]
    Throttling,
    #[error("An internal error occurred (injected by the emulator).")]
    Internal,
    #[error("Unknown operation {0}")]
    UnknownOperation(String),
    #[error("{0}")]
    PipelineNotFound(String),
    #[error("{0}")]
    Validation(String),
    #[error("The next token was specified in an invalid format.")]
    InvalidNextToken,
}

impl ApiError {
    /// The HTTP status: the models carry no `httpError` traits, so client errors are 400 and
    /// server errors 500; an unknown RPC v2 operation is 404 (its route does not exist).
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::UnknownOperation(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The shape name CodeConnections uses (prefixed with its namespace on the wire).
    pub fn codeconnections_name(&self) -> &'static str {
        match self {
            ApiError::ResourceNotFound(_) | ApiError::PipelineNotFound(_) => {
                "ResourceNotFoundException"
            }
            ApiError::InvalidInput(_) | ApiError::Validation(_) | ApiError::InvalidNextToken => {
                "InvalidInputException"
            }
            ApiError::SyncBlockerDoesNotExist => "SyncBlockerDoesNotExistException",
            ApiError::RetryLatestCommitFailed => "RetryLatestCommitFailedException",
            ApiError::Throttling => "ThrottlingException",
            ApiError::Internal => "InternalServerException",
            ApiError::UnknownOperation(_) => "UnknownOperationException",
        }
    }

    /// The shape name CodePipeline uses (awsJson1_1 sends the bare name).
    pub fn codepipeline_name(&self) -> &'static str {
        match self {
            ApiError::PipelineNotFound(_) | ApiError::ResourceNotFound(_) => {
                "PipelineNotFoundException"
            }
            ApiError::Validation(_)
            | ApiError::InvalidInput(_)
            | ApiError::SyncBlockerDoesNotExist
            | ApiError::RetryLatestCommitFailed => "ValidationException",
            ApiError::InvalidNextToken => "InvalidNextTokenException",
            ApiError::Throttling => "ThrottlingException",
            ApiError::Internal => "InternalServiceError",
            ApiError::UnknownOperation(_) => "UnknownOperationException",
        }
    }

    /// The error code CloudFormation (awsQuery) sends in `<Error><Code>`.
    pub fn cloudformation_code(&self) -> &'static str {
        match self {
            ApiError::ResourceNotFound(_)
            | ApiError::PipelineNotFound(_)
            | ApiError::InvalidInput(_)
            | ApiError::Validation(_)
            | ApiError::InvalidNextToken
            | ApiError::SyncBlockerDoesNotExist
            | ApiError::RetryLatestCommitFailed => "ValidationError",
            ApiError::Throttling => "Throttling",
            ApiError::Internal => "InternalFailure",
            ApiError::UnknownOperation(_) => "InvalidAction",
        }
    }
}
