//! Newtypes for the names and ids syncwarden keys on, and [`ResourceId`], the thing a
//! history belongs to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a name or id was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{what} is empty")]
    Empty { what: &'static str },
    #[error("{what} `{value}` is longer than {max} characters")]
    TooLong { what: &'static str, value: String, max: usize },
    #[error("{what} `{value}` contains `{bad}`, which is not allowed there")]
    BadChar { what: &'static str, value: String, bad: char },
    #[error(
        "`{0}` is not a resource: use stack/NAME, pipeline/NAME, repository/LINK_ID@BRANCH or \
         connection/ID (a bare NAME means a stack)"
    )]
    NotAResource(String),
    #[error("`{0}` is not a connection ARN (…:connection/ID)")]
    NotAConnectionArn(String),
}

macro_rules! name_type {
    ($(#[$meta:meta])* $name:ident, $what:literal, max = $max:expr, valid = $valid:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `value`.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                if value.is_empty() {
                    return Err(IdError::Empty { what: $what });
                }
                if value.chars().count() > $max {
                    return Err(IdError::TooLong { what: $what, value, max: $max });
                }
                let valid: fn(char) -> bool = $valid;
                if let Some(bad) = value.chars().find(|c| !valid(*c)) {
                    return Err(IdError::BadChar { what: $what, value, bad });
                }
                Ok(Self(value))
            }

            /// The wrapped string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(value: &str) -> Result<Self, IdError> {
                Self::new(value)
            }
        }
    };
}

fn printable(c: char) -> bool {
    !c.is_control()
}

name_type!(
    /// A CloudFormation stack name (`[A-Za-z][-A-Za-z0-9]*`, at most 128 characters).
    StackName, "stack name", max = 128,
    valid = |c| c.is_ascii_alphanumeric() || c == '-'
);
name_type!(
    /// A CodePipeline pipeline name (`[A-Za-z0-9.@\-_]+`, at most 100 characters).
    PipelineName, "pipeline name", max = 100,
    valid = |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_')
);
name_type!(
    /// A CodeConnections repository link id: a UUID from the API, but kept as sent, since
    /// published examples use other ids. `@` separates it from the branch in a resource id.
    RepositoryLinkId, "repository link id", max = 128, valid = |c| printable(c) && c != '@'
);
name_type!(
    /// A Git branch name.
    Branch, "branch", max = 255, valid = printable
);
name_type!(
    /// The revision a source names: a Git commit id (SHA-1 or SHA-256 hex) in the common case,
    /// but kept opaque, because AWS also sends placeholders (`sample-commit-id` in its own
    /// examples), CodeCommit ids and S3 object versions. Equal strings link the timeline.
    Revision, "revision", max = 1024, valid = printable
);
name_type!(
    /// The id of the event an observation came from (EventBridge `id`, or a poll's own id).
    EventId, "event id", max = 128, valid = |c| printable(c) && c != '#'
);
name_type!(
    /// A CodePipeline execution id (a UUID from AWS, kept as sent; `#` is reserved for keys).
    ExecutionId, "execution id", max = 128, valid = |c| printable(c) && c != '#'
);

name_type!(
    /// A sync blocker id (1 to 50 characters).
    BlockerId, "blocker id", max = 50, valid = |c| printable(c) && c != '#'
);
name_type!(
    /// A CodeConnections connection id (the last segment of its ARN).
    ConnectionId, "connection id", max = 64,
    valid = |c| c.is_ascii_alphanumeric() || c == '-'
);

impl ConnectionId {
    /// The id inside a connection ARN (`arn:aws:codeconnections:…:connection/<id>`; the older
    /// `codestar-connections` prefix works too).
    pub fn from_arn(arn: &str) -> Result<Self, IdError> {
        match arn.rsplit_once(":connection/") {
            Some((_, id)) => Self::new(id),
            None => Err(IdError::NotAConnectionArn(arn.to_owned())),
        }
    }
}

impl Revision {
    /// The form people recognise: seven characters of a Git commit id, anything else as is.
    pub fn short(&self) -> &str {
        short_revision(&self.0)
    }

    /// Whether this is a Git object id (40 or 64 hex digits), which a provider can link to.
    pub fn is_git_commit(&self) -> bool {
        is_git_commit(&self.0)
    }
}

/// Seven characters of a Git commit id; any other revision is shown whole, since a prefix of
/// an opaque string (an S3 version, a placeholder) means nothing.
pub fn short_revision(revision: &str) -> &str {
    if is_git_commit(revision) { &revision[..7] } else { revision }
}

/// 40 (SHA-1) or 64 (SHA-256) hex digits.
pub fn is_git_commit(revision: &str) -> bool {
    matches!(revision.len(), 40 | 64) && revision.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The kinds of resource syncwarden keeps a history for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// A CloudFormation stack deployed by Git sync.
    Stack,
    /// A repository link's branch, as Git sync sees it.
    Repository,
    /// A CodePipeline pipeline.
    Pipeline,
    /// A CodeConnections connection (the link to the Git provider).
    Connection,
}

impl ResourceKind {
    /// The lowercase name used in resource ids and keys.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Stack => "stack",
            ResourceKind::Repository => "repository",
            ResourceKind::Pipeline => "pipeline",
            ResourceKind::Connection => "connection",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a history belongs to: `stack/NAME`, `repository/LINK_ID@BRANCH`, `pipeline/NAME` or
/// `connection/ID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ResourceId {
    Stack(StackName),
    Repository { link: RepositoryLinkId, branch: Branch },
    Pipeline(PipelineName),
    Connection(ConnectionId),
}

impl ResourceId {
    /// The resource's kind.
    pub fn kind(&self) -> ResourceKind {
        match self {
            ResourceId::Stack(_) => ResourceKind::Stack,
            ResourceId::Repository { .. } => ResourceKind::Repository,
            ResourceId::Pipeline(_) => ResourceKind::Pipeline,
            ResourceId::Connection(_) => ResourceKind::Connection,
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceId::Stack(name) => write!(f, "stack/{name}"),
            ResourceId::Repository { link, branch } => write!(f, "repository/{link}@{branch}"),
            ResourceId::Pipeline(name) => write!(f, "pipeline/{name}"),
            ResourceId::Connection(id) => write!(f, "connection/{id}"),
        }
    }
}

impl FromStr for ResourceId {
    type Err = IdError;

    /// Parses the display form; a bare name is a stack, since stacks are what people ask about.
    fn from_str(value: &str) -> Result<Self, IdError> {
        let Some((kind, rest)) = value.split_once('/') else {
            return StackName::new(value)
                .map(ResourceId::Stack)
                .map_err(|_| IdError::NotAResource(value.to_owned()));
        };
        match kind {
            "stack" => Ok(ResourceId::Stack(StackName::new(rest)?)),
            "pipeline" => Ok(ResourceId::Pipeline(PipelineName::new(rest)?)),
            "connection" => Ok(ResourceId::Connection(ConnectionId::new(rest)?)),
            "repository" => {
                let (link, branch) =
                    rest.split_once('@').ok_or_else(|| IdError::NotAResource(value.to_owned()))?;
                Ok(ResourceId::Repository {
                    link: RepositoryLinkId::new(link)?,
                    branch: Branch::new(branch)?,
                })
            }
            _ => Err(IdError::NotAResource(value.to_owned())),
        }
    }
}

impl TryFrom<String> for ResourceId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, IdError> {
        value.parse()
    }
}

impl From<ResourceId> for String {
    fn from(value: ResourceId) -> String {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bare_name_is_a_stack() {
        assert_eq!(
            "payments-api".parse::<ResourceId>(),
            Ok(ResourceId::Stack(StackName::new("payments-api").unwrap()))
        );
    }

    #[test]
    fn repository_needs_a_branch() {
        let err =
            "repository/550e8400-e29b-41d4-a716-446655440000".parse::<ResourceId>().unwrap_err();
        assert!(err.to_string().contains("repository/LINK_ID@BRANCH"), "{err}");
    }

    #[test]
    fn names_say_what_is_wrong() {
        assert_eq!(
            StackName::new("my_stack").unwrap_err().to_string(),
            "stack name `my_stack` contains `_`, which is not allowed there"
        );
        assert_eq!(StackName::new("").unwrap_err().to_string(), "stack name is empty");
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(
            stack in "[A-Za-z][-A-Za-z0-9]{0,30}",
            pipeline in "[A-Za-z0-9.@_-]{1,30}",
            link in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            branch in "[a-z0-9/#@._-]{1,40}",
        ) {
            let ids = [
                ResourceId::Stack(StackName::new(stack).unwrap()),
                ResourceId::Pipeline(PipelineName::new(pipeline).unwrap()),
                ResourceId::Repository {
                    link: RepositoryLinkId::new(link).unwrap(),
                    branch: Branch::new(branch).unwrap(),
                },
            ];
            for id in ids {
                prop_assert_eq!(id.to_string().parse::<ResourceId>(), Ok(id));
            }
        }
    }
}
