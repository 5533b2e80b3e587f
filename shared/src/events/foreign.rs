//! What a payload that is not an EventBridge event looks like, so the error says what was sent
//! instead (the usual mistakes: a queue or topic envelope around the event, AWS's "processed"
//! notification form, another service's Lambda payload).
//!
//! Only reached on the error path, so reading the whole value costs the common case nothing.

use serde_json::{Map, Value};

/// A short description of `bytes`, read as JSON.
pub(super) fn describe(bytes: &[u8]) -> String {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => describe_object(&object),
        Ok(Value::Array(items)) => {
            format!("a JSON array of {} items, not one event object", items.len())
        }
        Ok(Value::Null) => "JSON null, not an event object".to_owned(),
        Ok(Value::String(_)) => "a JSON string, not an event object".to_owned(),
        Ok(Value::Number(_)) => "a JSON number, not an event object".to_owned(),
        Ok(Value::Bool(_)) => "a JSON boolean, not an event object".to_owned(),
        Err(_) => "something that is not JSON".to_owned(),
    }
}

fn describe_object(object: &Map<String, Value>) -> String {
    let has = |key: &str| object.contains_key(key);
    let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or_default();
    if let Some(records) = object.get("Records").and_then(Value::as_array) {
        return describe_records(records);
    }
    if has("detailType") && has("notificationRuleArn") {
        return "a CodeStar Notifications message (`detailType`, `notificationRuleArn`): \
                AWS's processed form for SNS and chat; target the EventBridge rule at the \
                function instead"
            .to_owned();
    }
    if has("RequestType") && has("ResponseURL") {
        return format!(
            "a CloudFormation custom resource request (`RequestType` {}, `ResponseURL`)",
            text("RequestType")
        );
    }
    if has("CodePipeline.job") {
        return "a CodePipeline job (`CodePipeline.job`): what CodePipeline sends to a Lambda \
                invoke action, not a state-change event"
            .to_owned();
    }
    if text("Type") == "Notification" && has("TopicArn") {
        return "an SNS message (`Type` Notification, `TopicArn`): the event is its `Message`"
            .to_owned();
    }
    if has("requestContext") && has("requestPayload") {
        return "a Lambda on-failure destination record: the event is its `requestPayload` \
                (`syncwarden replay` unwraps these)"
            .to_owned();
    }
    if has("messageId") && has("body") {
        return "one SQS message (`messageId`, `body`): the event is its `body`".to_owned();
    }
    let mut keys: Vec<&str> = object.keys().map(String::as_str).take(8).collect();
    keys.sort_unstable();
    format!(
        "an object without `source` and `detail-type` (its keys: {})",
        if keys.is_empty() { "none".to_owned() } else { keys.join(", ") }
    )
}

fn describe_records(records: &[Value]) -> String {
    let first = records.first().and_then(Value::as_object);
    let source = first
        .and_then(|r| r.get("eventSource").or_else(|| r.get("EventSource")))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match source {
        "aws:sqs" => "an SQS batch (`Records`): each event is a record's `body`".to_owned(),
        "aws:sns" => "an SNS batch (`Records`): each event is a record's `Sns.Message`".to_owned(),
        "aws:dynamodb" => "a DynamoDB stream batch (`Records`)".to_owned(),
        "aws:kinesis" => "a Kinesis batch (`Records`)".to_owned(),
        "aws:s3" => "an S3 notification (`Records`)".to_owned(),
        "" => "a batch of `Records`".to_owned(),
        other => format!("a batch of `{other}` records (`Records`)"),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn envelopes_and_other_payloads_are_named() {
        let cases = [
            (r#"{"Records":[{"messageId":"1","body":"{}","eventSource":"aws:sqs"}]}"#, "SQS batch"),
            (r#"{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"{}"}}]}"#, "SNS batch"),
            (r#"{"Type":"Notification","TopicArn":"arn:aws:sns:x","Message":"{}"}"#, "SNS message"),
            (
                r#"{"account":"1","detailType":"CodePipeline Pipeline Execution State Change","notificationRuleArn":"arn"}"#,
                "CodeStar Notifications",
            ),
            (
                r#"{"RequestType":"Create","ResponseURL":"https://x","ResourceType":"Custom::X"}"#,
                "custom resource",
            ),
            (r#"{"CodePipeline.job":{"id":"1"}}"#, "CodePipeline job"),
            (r#"{"requestContext":{},"requestPayload":{}}"#, "on-failure destination"),
            (r#"[1,2]"#, "array of 2"),
            (r#"{"hello":1,"a":2}"#, "keys: a, hello"),
        ];
        for (json, expected) in cases {
            let description = describe(json.as_bytes());
            assert!(description.contains(expected), "{json}: {description}");
        }
    }
}
