//! CloudFormation: a stack's status, for the resolver's facts.

use crate::clients::ApiError;
use crate::ids::StackName;
use crate::status::StackStatus;

/// Reads the stack's CloudFormation status (`DescribeStacks`).
#[derive(Debug, Clone)]
pub struct Stacks {
    client: aws_sdk_cloudformation::Client,
}

impl Stacks {
    /// Over `client`.
    pub fn new(client: aws_sdk_cloudformation::Client) -> Self {
        Stacks { client }
    }

    /// The stack's status; `None` when the stack does not exist.
    pub async fn status(&self, stack: &StackName) -> Result<Option<StackStatus>, ApiError> {
        match self.client.describe_stacks().stack_name(stack.as_str()).send().await {
            Ok(output) => Ok(output
                .stacks()
                .first()
                .and_then(|s| s.stack_status())
                .map(|s| StackStatus::parse(s.as_str()))),
            Err(e) => {
                let error = ApiError::new("DescribeStacks", stack.as_str(), e);
                // CloudFormation answers a missing stack with a ValidationError.
                if error.code.as_deref() == Some("ValidationError")
                    && error.message.contains("does not exist")
                {
                    Ok(None)
                } else {
                    Err(error)
                }
            }
        }
    }
}
