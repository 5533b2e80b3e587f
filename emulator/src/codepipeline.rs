//! CodePipeline over awsJson1_1: `POST /` with `X-Amz-Target: CodePipeline_20150709.<Op>`.
//! Member names are camelCase; timestamps are epoch seconds as JSON numbers.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, Service};
use crate::scenario::{Action, Pipeline, PipelineExecution, Scenario, Stage, paginate};
use crate::{SharedState, lock};

const TARGET_PREFIX: &str = "CodePipeline_20150709.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// Serves one awsJson1_1 request: count it, inject faults, dispatch on `X-Amz-Target`.
pub(crate) async fn serve(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let operation = target.strip_prefix(TARGET_PREFIX).unwrap_or(target);
    if operation.is_empty() {
        return error_response(&ApiError::UnknownOperation(
            "missing X-Amz-Target header".to_owned(),
        ));
    }
    state.count(operation);
    if let Some(fault) = state.faults.apply(operation).await {
        return error_response(&fault);
    }
    if !target.starts_with(TARGET_PREFIX) {
        return error_response(&ApiError::UnknownOperation(target.to_owned()));
    }
    let result = parse_body(&body).and_then(|request| {
        let scenario = lock(&state.scenario);
        dispatch(&scenario, operation, &request)
    });
    match result {
        Ok(output) => json_response(StatusCode::OK, &output),
        Err(e) => {
            tracing::debug!(operation, error = %e, "CodePipeline error");
            error_response(&e)
        }
    }
}

fn dispatch(scenario: &Scenario, operation: &str, request: &Request) -> Result<Value, ApiError> {
    match operation {
        "ListPipelines" => list_pipelines(scenario, request),
        "GetPipelineState" => get_pipeline_state(scenario, request),
        "ListPipelineExecutions" => list_pipeline_executions(scenario, request),
        other => Err(ApiError::UnknownOperation(other.to_owned())),
    }
}

fn list_pipelines(scenario: &Scenario, req: &Request) -> Result<Value, ApiError> {
    let page = paginate(
        &scenario.pipelines,
        scenario.page_size,
        req.opt_int("maxResults")?,
        req.opt_text("nextToken")?,
    )
    .map_err(|_| ApiError::InvalidNextToken)?;
    let pipelines: Vec<Value> = page
        .items
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "version": p.version,
                "created": epoch(p.created),
                "updated": epoch(p.updated),
            })
        })
        .collect();
    let mut out = Object::new().value("pipelines", pipelines.into());
    out = out.opt_text("nextToken", page.next_token.as_deref());
    Ok(out.build())
}

fn get_pipeline_state(scenario: &Scenario, req: &Request) -> Result<Value, ApiError> {
    let pipeline = find_pipeline(scenario, req.text("name")?)?;
    let stages: Vec<Value> = pipeline.stages.iter().map(stage_state).collect();
    Ok(json!({
        "pipelineName": pipeline.name,
        "pipelineVersion": pipeline.version,
        "created": epoch(pipeline.created),
        "updated": epoch(pipeline.updated),
        "stageStates": stages,
    }))
}

fn list_pipeline_executions(scenario: &Scenario, req: &Request) -> Result<Value, ApiError> {
    let pipeline = find_pipeline(scenario, req.text("pipelineName")?)?;
    let page = paginate(
        &pipeline.executions,
        scenario.page_size,
        req.opt_int("maxResults")?,
        req.opt_text("nextToken")?,
    )
    .map_err(|_| ApiError::InvalidNextToken)?;
    let summaries: Vec<Value> = page.items.iter().map(execution_summary).collect();
    Ok(Object::new()
        .value("pipelineExecutionSummaries", summaries.into())
        .opt_text("nextToken", page.next_token.as_deref())
        .build())
}

fn find_pipeline<'a>(scenario: &'a Scenario, name: &str) -> Result<&'a Pipeline, ApiError> {
    scenario.pipeline(name).ok_or_else(|| {
        ApiError::PipelineNotFound(format!(
            "Account '111122223333' does not have a pipeline with name '{name}'"
        ))
    })
}

// --- output shapes -------------------------------------------------------------------------

fn stage_state(stage: &Stage) -> Value {
    let actions: Vec<Value> = stage.actions.iter().map(action_state).collect();
    let latest = match (&stage.execution_id, &stage.status) {
        (Some(id), Some(status)) => Some(json!({
            "pipelineExecutionId": id,
            "status": status,
            "type": "STANDARD",
        })),
        _ => None,
    };
    Object::new()
        .text("stageName", &stage.name)
        .value("inboundTransitionState", json!({ "enabled": stage.inbound_transition_enabled }))
        .value("actionStates", actions.into())
        .opt_value("latestExecution", latest)
        .build()
}

fn action_state(action: &Action) -> Value {
    let error_details = match (&action.error_code, &action.error_message) {
        (None, None) => None,
        (code, message) => Some(
            Object::new()
                .opt_text("code", code.as_deref())
                .opt_text("message", message.as_deref())
                .build(),
        ),
    };
    // An action that never ran has no latestExecution at all.
    let ran = action.status.is_some() || action.execution_id.is_some();
    let latest = ran.then(|| {
        Object::new()
            .opt_text("actionExecutionId", action.execution_id.as_deref())
            .opt_text("status", action.status.as_deref())
            .opt_text("summary", action.summary.as_deref())
            .opt_value("lastStatusChange", action.last_status_change.map(epoch))
            .opt_text("externalExecutionId", action.external_execution_id.as_deref())
            .opt_text("externalExecutionUrl", action.external_execution_url.as_deref())
            .opt_value("errorDetails", error_details)
            .build()
    });
    Object::new().text("actionName", &action.name).opt_value("latestExecution", latest).build()
}

fn execution_summary(execution: &PipelineExecution) -> Value {
    let revisions: Vec<Value> = execution
        .source_revisions
        .iter()
        .map(|r| {
            Object::new()
                .text("actionName", &r.action_name)
                .opt_text("revisionId", r.revision_id.as_deref())
                .opt_text("revisionSummary", r.revision_summary.as_deref())
                .opt_text("revisionUrl", r.revision_url.as_deref())
                .build()
        })
        .collect();
    Object::new()
        .text("pipelineExecutionId", &execution.id)
        .text("status", &execution.status)
        .opt_text("statusSummary", execution.status_summary.as_deref())
        .value("startTime", epoch(execution.start_time))
        .value("lastUpdateTime", epoch(execution.last_update_time))
        .value("sourceRevisions", revisions.into())
        .value("trigger", json!({ "triggerType": execution.trigger_type }))
        .text("executionMode", &execution.execution_mode)
        .text("executionType", &execution.execution_type)
        .build()
}

/// Epoch seconds with millisecond resolution, the awsJson timestamp form.
fn epoch(t: DateTime<Utc>) -> Value {
    let millis = t.timestamp_subsec_millis();
    if millis == 0 {
        Value::from(t.timestamp())
    } else {
        Value::from(t.timestamp() as f64 + f64::from(millis) / 1000.0)
    }
}

/// A JSON object built member by member; absent members are left out, not sent as null.
struct Object(Map<String, Value>);

impl Object {
    fn new() -> Self {
        Object(Map::new())
    }

    fn value(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.to_owned(), value);
        self
    }

    fn opt_value(self, key: &str, value: Option<Value>) -> Self {
        match value {
            Some(v) => self.value(key, v),
            None => self,
        }
    }

    fn text(self, key: &str, value: &str) -> Self {
        self.value(key, Value::from(value))
    }

    fn opt_text(self, key: &str, value: Option<&str>) -> Self {
        self.opt_value(key, value.map(Value::from))
    }

    fn build(self) -> Value {
        Value::Object(self.0)
    }
}

// --- wire ----------------------------------------------------------------------------------

/// The members of a JSON request body.
struct Request(Map<String, Value>);

fn parse_body(body: &[u8]) -> Result<Request, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Request(Map::new()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(Request(map)),
        Ok(_) => Err(ApiError::Validation("request body must be a JSON object".to_owned())),
        Err(e) => Err(ApiError::Validation(format!("request body is not JSON: {e}"))),
    }
}

impl Request {
    fn opt_text(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::Validation(format!("{name} must be a string"))),
        }
    }

    fn text(&self, name: &str) -> Result<&str, ApiError> {
        match self.opt_text(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ApiError::Validation(format!(
                "1 validation error detected: Value at '{name}' failed to satisfy constraint: Member must not be null"
            ))),
        }
    }

    fn opt_int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::Validation(format!("{name} must be an integer"))),
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// An error as awsJson1_1 sends it: the bare shape name in `__type`.
fn error_response(error: &ApiError) -> Response {
    // awsJson has no routes to miss, so an unknown operation is an ordinary client error (400).
    let status = error.status(Service::CodePipeline);
    let body = json!({
        "__type": error.code(Service::CodePipeline),
        "message": error.to_string(),
    });
    json_response(status, &body)
}
