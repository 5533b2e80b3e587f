//! CloudFormation over awsQuery: `POST /` with a form body (`Action=DescribeStacks&Version=
//! 2010-05-15&StackName=...`) and no `X-Amz-Target`; answers are XML. Only `DescribeStacks` is
//! served, from the scenario's `stacks`.

use std::fmt::Write as _;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::{ApiError, Service};
use crate::scenario::{Scenario, StackState};
use crate::{SharedState, lock};

const XMLNS: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
const CONTENT_TYPE: &str = "text/xml";

/// The decoded parameters of an awsQuery request, in body order.
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    /// Decodes a form body that names an `Action`; anything else is not an awsQuery request.
    pub(crate) fn parse(body: &[u8]) -> Option<Query> {
        let params: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        let query = Query(params);
        query.get("Action").is_some_and(|a| !a.is_empty()).then_some(query)
    }

    /// The first value of a parameter.
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn action(&self) -> &str {
        self.get("Action").unwrap_or_default()
    }
}

/// Serves one awsQuery request: count it, inject faults, dispatch on `Action`.
pub(crate) async fn serve(state: SharedState, query: Query) -> Response {
    let action = query.action();
    let request_id = request_id();
    state.count(action);
    if let Some(fault) = state.faults.apply(action).await {
        return error_response(&fault, &request_id);
    }
    let result = match action {
        "DescribeStacks" => describe_stacks(&lock(&state.scenario), &query, &request_id),
        other => Err(ApiError::UnknownOperation(format!(
            "Could not find operation {other} for version 2010-05-15"
        ))),
    };
    match result {
        Ok(xml) => xml_response(StatusCode::OK, xml, &request_id),
        Err(e) => {
            tracing::debug!(action, error = %e, "CloudFormation error");
            error_response(&e, &request_id)
        }
    }
}

fn describe_stacks(
    scenario: &Scenario,
    query: &Query,
    request_id: &str,
) -> Result<String, ApiError> {
    // Every stack fits on one page, so no token is ever handed out.
    if query.get("NextToken").is_some_and(|t| !t.is_empty()) {
        return Err(ApiError::Validation("Invalid NextToken".to_owned()));
    }
    let stacks: Vec<(&str, &StackState)> = match query.get("StackName").filter(|n| !n.is_empty()) {
        None => scenario.stacks.iter().map(|(name, stack)| (name.as_str(), stack)).collect(),
        Some(wanted) => {
            let found = scenario.stacks.get_key_value(wanted).or_else(|| {
                scenario.stacks.iter().find(|(name, stack)| stack.stack_id(name) == wanted)
            });
            match found {
                Some((name, stack)) => vec![(name.as_str(), stack)],
                None => {
                    return Err(ApiError::Validation(format!(
                        "Stack with id {wanted} does not exist"
                    )));
                }
            }
        }
    };
    let mut xml =
        format!("<DescribeStacksResponse xmlns=\"{XMLNS}\"><DescribeStacksResult><Stacks>");
    for (name, stack) in stacks {
        write_stack(&mut xml, name, stack);
    }
    xml.push_str("</Stacks></DescribeStacksResult><ResponseMetadata>");
    push_element(&mut xml, "RequestId", request_id);
    xml.push_str("</ResponseMetadata></DescribeStacksResponse>");
    Ok(xml)
}

fn write_stack(xml: &mut String, name: &str, stack: &StackState) {
    xml.push_str("<member>");
    push_element(xml, "StackName", name);
    push_element(xml, "StackId", &stack.stack_id(name));
    push_element(xml, "StackStatus", stack.stack_status());
    if let Some(reason) = &stack.stack_status_reason {
        push_element(xml, "StackStatusReason", reason);
    }
    push_element(xml, "CreationTime", &timestamp(stack.creation_time()));
    if let Some(updated) = stack.last_updated {
        push_element(xml, "LastUpdatedTime", &timestamp(updated));
    }
    push_element(xml, "DisableRollback", "false");
    push_element(xml, "EnableTerminationProtection", "false");
    xml.push_str("<DriftInformation>");
    push_element(xml, "StackDriftStatus", "NOT_CHECKED");
    xml.push_str("</DriftInformation></member>");
}

/// `<name>escaped text</name>`.
fn push_element(xml: &mut String, name: &str, text: &str) {
    let _ = write!(xml, "<{name}>");
    escape_into(xml, text);
    let _ = write!(xml, "</{name}>");
}

/// Escapes text for XML content and attributes. Characters XML 1.0 cannot carry at all (most
/// C0 controls) become U+FFFD so the document stays well-formed; `\r` is kept as a reference.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            c if u32::from(c) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push('\u{FFFD}');
            }
            c => out.push(c),
        }
    }
}

/// ISO 8601 with milliseconds, as CloudFormation sends times: `2026-11-01T10:00:00.000Z`.
fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A fresh UUID-shaped request id.
fn request_id() -> String {
    let (a, b) = (fastrand::u64(..), fastrand::u64(..));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers: &mut HeaderMap = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// An error as awsQuery sends it: `<ErrorResponse><Error><Type/><Code/><Message/></Error>`.
fn error_response(error: &ApiError, request_id: &str) -> Response {
    // awsQuery has no routes to miss, so an unknown action is an ordinary client error (400).
    let status = error.status(Service::CloudFormation);
    let kind = if status.is_server_error() { "Receiver" } else { "Sender" };
    let message = match error {
        ApiError::UnknownOperation(m) => m.clone(),
        other => other.to_string(),
    };
    let mut xml = format!("<ErrorResponse xmlns=\"{XMLNS}\"><Error>");
    push_element(&mut xml, "Type", kind);
    push_element(&mut xml, "Code", error.code(Service::CloudFormation));
    push_element(&mut xml, "Message", &message);
    xml.push_str("</Error>");
    push_element(&mut xml, "RequestId", request_id);
    xml.push_str("</ErrorResponse>");
    xml_response(status, xml, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(text: &str) -> String {
        let mut out = String::new();
        escape_into(&mut out, text);
        out
    }

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(escape("x\u{0}y\r\n"), "x\u{FFFD}y&#xD;\n");
    }

    #[test]
    fn query_needs_an_action() {
        assert!(Query::parse(b"Action=DescribeStacks&Version=2010-05-15").is_some());
        assert!(Query::parse(b"Version=2010-05-15").is_none());
        assert!(Query::parse(b"Action=").is_none());
        assert!(Query::parse(b"{\"name\":\"x\"}").is_none());
        assert!(Query::parse(&[0xff, 0xfe, b'=', 0x00]).is_none());
        let q = Query::parse(b"Action=DescribeStacks&StackName=a%2Fb+c").unwrap();
        assert_eq!(q.get("StackName"), Some("a/b c"));
    }

    #[test]
    fn times_have_milliseconds() {
        let t = DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z").unwrap().to_utc();
        assert_eq!(timestamp(t), "2026-11-01T10:00:00.000Z");
    }
}
