//! The modelled API errors the emulator answers with, and how each service names them and
//! which HTTP status it sends.
//!
//! The statuses come from the vendor's models (botocore `service-2.json`, the Smithy
//! `httpError` traits): a client decides on them whether to retry, so a wrong status changes
//! the behaviour under test. CodeConnections models every error's status (its server errors
//! are 503, which the SDKs retry); CodePipeline and CloudFormation model none, so theirs are
//! AWS's common errors: client errors 400, internal failures 500.

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
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    ConcurrentModification(String),
    #[error("{0}")]
    ResourceUnavailable(String),
    #[error("Unknown operation {0}")]
    UnknownOperation(String),
    #[error("{0}")]
    PipelineNotFound(String),
    #[error("{0}")]
    PipelineExecutionNotFound(String),
    #[error("{0}")]
    Validation(String),
    #[error("The next token was specified in an invalid format.")]
    InvalidNextToken,
    /// An error forced by fault injection, named in the vocabulary of the service it is
    /// injected into (validated against [`modelled_errors`] when configured).
    #[error("{message}")]
    Injected { code: String, message: String },
}

/// The three wire vocabularies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    CodeConnections,
    CodePipeline,
    CloudFormation,
}

/// CodeConnections' errors and statuses (botocore `codeconnections/2023-12-01`,
/// `error.httpStatusCode`). `ResourceUnavailableException` is a client error (400).
const CODECONNECTIONS_STATUSES: &[(&str, u16)] = &[
    ("AccessDeniedException", 403),
    ("ConcurrentModificationException", 409),
    ("InternalServerException", 503),
    ("InvalidInputException", 400),
    ("ResourceNotFoundException", 404),
    ("ResourceUnavailableException", 400),
    ("RetryLatestCommitFailedException", 503),
    ("SyncBlockerDoesNotExistException", 404),
    ("ThrottlingException", 429),
];

/// The operations' modelled errors (botocore `operations.<Op>.errors`), plus AWS's common
/// errors for the services whose operations model none of them (throttling, access denied,
/// internal failure reach every AWS API). Fault injection accepts exactly these names.
const OPERATION_ERRORS: &[(&str, &[&str])] = &[
    (
        "ListRepositoryLinks",
        &[
            "AccessDeniedException",
            "ConcurrentModificationException",
            "InternalServerException",
            "InvalidInputException",
            "ResourceNotFoundException",
            "ThrottlingException",
        ],
    ),
    (
        "GetRepositoryLink",
        &[
            "AccessDeniedException",
            "ConcurrentModificationException",
            "InternalServerException",
            "InvalidInputException",
            "ResourceNotFoundException",
            "ThrottlingException",
        ],
    ),
    ("ListSyncConfigurations", CC_READ_ERRORS),
    ("GetSyncConfiguration", CC_READ_ERRORS),
    ("ListRepositorySyncDefinitions", CC_READ_ERRORS),
    ("GetResourceSyncStatus", CC_READ_ERRORS),
    ("GetRepositorySyncStatus", CC_READ_ERRORS),
    ("GetSyncBlockerSummary", CC_READ_ERRORS),
    (
        "UpdateSyncBlocker",
        &[
            "AccessDeniedException",
            "InternalServerException",
            "InvalidInputException",
            "ResourceNotFoundException",
            "RetryLatestCommitFailedException",
            "SyncBlockerDoesNotExistException",
            "ThrottlingException",
        ],
    ),
    ("GetConnection", &["ResourceNotFoundException", "ResourceUnavailableException"]),
    ("ListConnections", &["ResourceNotFoundException"]),
    (
        "ListPipelines",
        &[
            "ValidationException",
            "InvalidNextTokenException",
            "ThrottlingException",
            "AccessDeniedException",
            "InternalFailure",
        ],
    ),
    (
        "GetPipelineState",
        &[
            "ValidationException",
            "PipelineNotFoundException",
            "ThrottlingException",
            "AccessDeniedException",
            "InternalFailure",
        ],
    ),
    (
        "ListPipelineExecutions",
        &[
            "ValidationException",
            "PipelineNotFoundException",
            "InvalidNextTokenException",
            "ThrottlingException",
            "AccessDeniedException",
            "InternalFailure",
        ],
    ),
    (
        "GetPipelineExecution",
        &[
            "ValidationException",
            "PipelineNotFoundException",
            "PipelineExecutionNotFoundException",
            "ThrottlingException",
            "AccessDeniedException",
            "InternalFailure",
        ],
    ),
    (
        "ListActionExecutions",
        &[
            "ValidationException",
            "PipelineNotFoundException",
            "InvalidNextTokenException",
            "PipelineExecutionNotFoundException",
            "ThrottlingException",
            "AccessDeniedException",
            "InternalFailure",
        ],
    ),
    ("DescribeStacks", &["ValidationError", "Throttling", "AccessDenied", "InternalFailure"]),
];

const CC_READ_ERRORS: &[&str] = &[
    "AccessDeniedException",
    "InternalServerException",
    "InvalidInputException",
    "ResourceNotFoundException",
    "ThrottlingException",
];

/// The errors `operation` may answer with, or `None` for an operation the emulator does not
/// serve.
pub fn modelled_errors(operation: &str) -> Option<&'static [&'static str]> {
    OPERATION_ERRORS.iter().find(|(op, _)| *op == operation).map(|(_, errors)| *errors)
}

impl ApiError {
    /// The error code `service` sends for this error.
    pub fn code(&self, service: Service) -> &str {
        if let ApiError::Injected { code, .. } = self {
            return code;
        }
        match service {
            Service::CodeConnections => self.codeconnections_name(),
            Service::CodePipeline => self.codepipeline_name(),
            Service::CloudFormation => self.cloudformation_code(),
        }
    }

    /// The HTTP status `service` sends for this error (see the module comment for where each
    /// comes from).
    pub fn status(&self, service: Service) -> StatusCode {
        let code = self.code(service);
        let status = match service {
            Service::CodeConnections => {
                CODECONNECTIONS_STATUSES.iter().find(|(c, _)| *c == code).map_or(400, |(_, s)| *s)
            }
            // AWS's common errors: InternalFailure 500, ServiceUnavailable 503, the rest 400;
            // awsQuery services answer `AccessDenied` with 403.
            Service::CodePipeline | Service::CloudFormation => match code {
                "InternalFailure" => 500,
                "AccessDenied" => 403,
                "ServiceUnavailable" => 503,
                _ => 400,
            },
        };
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn codeconnections_name(&self) -> &'static str {
        match self {
            ApiError::ResourceNotFound(_)
            | ApiError::PipelineNotFound(_)
            | ApiError::PipelineExecutionNotFound(_) => "ResourceNotFoundException",
            ApiError::InvalidInput(_) | ApiError::Validation(_) | ApiError::InvalidNextToken => {
                "InvalidInputException"
            }
            ApiError::SyncBlockerDoesNotExist => "SyncBlockerDoesNotExistException",
            ApiError::RetryLatestCommitFailed => "RetryLatestCommitFailedException",
            ApiError::Throttling => "ThrottlingException",
            ApiError::Internal => "InternalServerException",
            ApiError::AccessDenied(_) => "AccessDeniedException",
            ApiError::ConcurrentModification(_) => "ConcurrentModificationException",
            ApiError::ResourceUnavailable(_) => "ResourceUnavailableException",
            ApiError::UnknownOperation(_) | ApiError::Injected { .. } => {
                "UnknownOperationException"
            }
        }
    }

    fn codepipeline_name(&self) -> &'static str {
        match self {
            ApiError::PipelineNotFound(_) | ApiError::ResourceNotFound(_) => {
                "PipelineNotFoundException"
            }
            ApiError::PipelineExecutionNotFound(_) => "PipelineExecutionNotFoundException",
            ApiError::Validation(_)
            | ApiError::InvalidInput(_)
            | ApiError::SyncBlockerDoesNotExist
            | ApiError::RetryLatestCommitFailed
            | ApiError::ConcurrentModification(_)
            | ApiError::ResourceUnavailable(_) => "ValidationException",
            ApiError::InvalidNextToken => "InvalidNextTokenException",
            ApiError::Throttling => "ThrottlingException",
            ApiError::AccessDenied(_) => "AccessDeniedException",
            ApiError::Internal => "InternalFailure",
            ApiError::UnknownOperation(_) | ApiError::Injected { .. } => {
                "UnknownOperationException"
            }
        }
    }

    fn cloudformation_code(&self) -> &'static str {
        match self {
            ApiError::ResourceNotFound(_)
            | ApiError::PipelineNotFound(_)
            | ApiError::PipelineExecutionNotFound(_)
            | ApiError::InvalidInput(_)
            | ApiError::Validation(_)
            | ApiError::InvalidNextToken
            | ApiError::SyncBlockerDoesNotExist
            | ApiError::RetryLatestCommitFailed
            | ApiError::ConcurrentModification(_)
            | ApiError::ResourceUnavailable(_) => "ValidationError",
            ApiError::Throttling => "Throttling",
            ApiError::AccessDenied(_) => "AccessDenied",
            ApiError::Internal => "InternalFailure",
            ApiError::UnknownOperation(_) | ApiError::Injected { .. } => "InvalidAction",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codeconnections_statuses_follow_the_model() {
        let cc = Service::CodeConnections;
        let cases = [
            (ApiError::ResourceNotFound("x".into()), 404),
            (ApiError::SyncBlockerDoesNotExist, 404),
            (ApiError::Throttling, 429),
            (ApiError::InvalidInput("x".into()), 400),
            (ApiError::AccessDenied("x".into()), 403),
            (ApiError::ConcurrentModification("x".into()), 409),
            (ApiError::Internal, 503),
            (ApiError::RetryLatestCommitFailed, 503),
            (ApiError::ResourceUnavailable("x".into()), 400),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(cc).as_u16(), status, "{error:?}");
        }
        // Every name fault injection accepts for a CodeConnections operation has a status.
        for (op, errors) in OPERATION_ERRORS.iter().take(11) {
            for name in *errors {
                assert!(
                    CODECONNECTIONS_STATUSES.iter().any(|(c, _)| c == name),
                    "{op}: {name} has no modelled status"
                );
            }
        }
    }

    #[test]
    fn the_other_services_send_the_common_statuses() {
        assert_eq!(ApiError::Internal.status(Service::CodePipeline).as_u16(), 500);
        assert_eq!(ApiError::Throttling.status(Service::CodePipeline).as_u16(), 400);
        assert_eq!(ApiError::Internal.status(Service::CloudFormation).as_u16(), 500);
        assert_eq!(ApiError::Throttling.code(Service::CloudFormation), "Throttling");
        let injected = ApiError::Injected { code: "AccessDenied".into(), message: "no".into() };
        assert_eq!(injected.code(Service::CloudFormation), "AccessDenied");
        assert_eq!(injected.status(Service::CloudFormation).as_u16(), 403);
    }
}
