//! SNS: publishes a rendered message ([`crate::notify::sns::render`]) to a topic.

use std::collections::BTreeMap;

use aws_sdk_sns::types::MessageAttributeValue;

use crate::clients::ApiError;

/// Publishes to one topic. Built once per container.
#[derive(Debug, Clone)]
pub struct SnsPublisher {
    client: aws_sdk_sns::Client,
}

impl SnsPublisher {
    /// A publisher on `client`.
    pub fn new(client: aws_sdk_sns::Client) -> Self {
        SnsPublisher { client }
    }

    /// Publishes a message (`subject`, `body`, string `attributes`) to `topic_arn`; returns
    /// the message id.
    pub async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        body: &str,
        attributes: &BTreeMap<String, String>,
    ) -> Result<String, ApiError> {
        let mut request = self.client.publish().topic_arn(topic_arn).subject(subject).message(body);
        for (name, value) in attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| ApiError {
                    operation: "Publish",
                    subject: topic_arn.to_owned(),
                    code: None,
                    message: e.to_string(),
                })?;
            request = request.message_attributes(name, value);
        }
        let output = request.send().await.map_err(|e| ApiError::new("Publish", topic_arn, e))?;
        Ok(output.message_id.unwrap_or_default())
    }
}
