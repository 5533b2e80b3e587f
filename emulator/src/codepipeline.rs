//! CodePipeline over awsJson1_1: `POST /` with `X-Amz-Target: CodePipeline_20150709.<Op>`.
//! Member names are camelCase; timestamps are epoch seconds as JSON numbers.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, Service};
use crate::scenario::{
    Action, ActionExecution, ArtifactRevision, Pipeline, PipelineExecution, Scenario, Stage,
    paginate,
};
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
        "GetPipelineExecution" => get_pipeline_execution(scenario, request),
        "ListActionExecutions" => list_action_executions(scenario, request),
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

fn get_pipeline_execution(scenario: &Scenario, req: &Request) -> Result<Value, ApiError> {
    let pipeline = find_pipeline(scenario, req.text("pipelineName")?)?;
    let run = find_execution(pipeline, req.text("pipelineExecutionId")?)?;
    let revisions: Vec<Value> = run.artifact_revisions().iter().map(artifact_revision).collect();
    let execution = Object::new()
        .text("pipelineName", &pipeline.name)
        .value("pipelineVersion", run.pipeline_version.unwrap_or(pipeline.version).into())
        .text("pipelineExecutionId", &run.id)
        .text("status", &run.status)
        .opt_text("statusSummary", run.status_summary.as_deref())
        .value("artifactRevisions", revisions.into())
        .value("variables", Value::Array(Vec::new()))
        .value("trigger", trigger(run))
        .text("executionMode", &run.execution_mode)
        .text("executionType", &run.execution_type)
        .build();
    Ok(json!({ "pipelineExecution": execution }))
}

/// `ListActionExecutions`: the pipeline's action executions, newest first, optionally only
/// those of one run (`filter.pipelineExecutionId`, or `filter.latestInPipelineExecution` with
/// `startTimeRange` `Latest`, the newest execution of each action, or `All`).
fn list_action_executions(scenario: &Scenario, req: &Request) -> Result<Value, ApiError> {
    let pipeline = find_pipeline(scenario, req.text("pipelineName")?)?;
    let max_results = req.opt_int("maxResults")?;
    if let Some(m) = max_results
        && !(1..=100).contains(&m)
    {
        return Err(ApiError::Validation(format!(
            "1 validation error detected: Value '{m}' at 'maxResults' failed to satisfy \
             constraint: Member must have value between 1 and 100"
        )));
    }
    let filter = req.opt_object("filter")?;
    let (run_id, latest_only) = match filter {
        None => (None, false),
        Some(filter) => match (
            filter.opt_text("pipelineExecutionId")?,
            filter.opt_object("latestInPipelineExecution")?,
        ) {
            (Some(id), None) => (Some(id.to_owned()), false),
            (None, Some(latest)) => {
                let range = latest.text("startTimeRange")?;
                if !matches!(range, "Latest" | "All") {
                    return Err(ApiError::Validation(format!(
                        "1 validation error detected: Value '{range}' at \
                         'filter.latestInPipelineExecution.startTimeRange' failed to satisfy \
                         constraint: Member must satisfy enum value set: [Latest, All]"
                    )));
                }
                (Some(latest.text("pipelineExecutionId")?.to_owned()), range == "Latest")
            }
            (None, None) => (None, false),
            (Some(_), Some(_)) => {
                return Err(ApiError::Validation(
                    "filter: specify pipelineExecutionId or latestInPipelineExecution, not both"
                        .to_owned(),
                ));
            }
        },
    };
    let mut details: Vec<Value> = Vec::new();
    let runs: Vec<&PipelineExecution> = match run_id {
        Some(id) => vec![find_execution(pipeline, &id)?],
        None => pipeline.executions.iter().collect(),
    };
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut listed: Vec<(&PipelineExecution, ActionExecution)> = runs
        .into_iter()
        .flat_map(|run| pipeline.action_executions(run).into_iter().map(move |a| (run, a)))
        .collect();
    // Across runs too, newest first (each run's list already is).
    listed.sort_by_key(|(run, a)| std::cmp::Reverse(a.start_time.unwrap_or(run.start_time)));
    for (run, action) in &listed {
        if latest_only {
            let key = (action.stage_name.clone(), action.action_name.clone());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
        }
        details.push(action_execution_detail(pipeline, run, action));
    }
    let page = paginate(&details, scenario.page_size, max_results, req.opt_text("nextToken")?)
        .map_err(|_| ApiError::InvalidNextToken)?;
    Ok(Object::new()
        .value("actionExecutionDetails", page.items.to_vec().into())
        .opt_text("nextToken", page.next_token.as_deref())
        .build())
}

fn find_execution<'a>(pipeline: &'a Pipeline, id: &str) -> Result<&'a PipelineExecution, ApiError> {
    pipeline.execution(id).ok_or_else(|| {
        ApiError::PipelineExecutionNotFound(format!(
            "Pipeline execution with id '{id}' does not exist in pipeline with name '{}'",
            pipeline.name
        ))
    })
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

/// The model's `ErrorDetails`, when the action reported any part of it.
fn error_details(code: &Option<String>, message: &Option<String>) -> Option<Value> {
    match (code, message) {
        (None, None) => None,
        (code, message) => Some(
            Object::new()
                .opt_text("code", code.as_deref())
                .opt_text("message", message.as_deref())
                .build(),
        ),
    }
}

fn action_state(action: &Action) -> Value {
    let error_details = error_details(&action.error_code, &action.error_message);
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
        .value("trigger", trigger(execution))
        .text("executionMode", &execution.execution_mode)
        .text("executionType", &execution.execution_type)
        .build()
}

fn trigger(run: &PipelineExecution) -> Value {
    Object::new()
        .text("triggerType", &run.trigger_type)
        .opt_text("triggerDetail", run.trigger_detail.as_deref())
        .build()
}

fn artifact_revision(revision: &ArtifactRevision) -> Value {
    Object::new()
        .text("name", &revision.name)
        .opt_text("revisionId", revision.revision_id.as_deref())
        .opt_text("revisionChangeIdentifier", revision.revision_change_identifier.as_deref())
        .opt_text("revisionSummary", revision.revision_summary.as_deref())
        .opt_value("created", revision.created.map(epoch))
        .opt_text("revisionUrl", revision.revision_url.as_deref())
        .build()
}

fn action_execution_detail(
    pipeline: &Pipeline,
    run: &PipelineExecution,
    action: &ActionExecution,
) -> Value {
    let start = action.start_time.unwrap_or(run.start_time);
    let error_details = error_details(&action.error_code, &action.error_message);
    let result = Object::new()
        .opt_text("externalExecutionId", action.external_execution_id.as_deref())
        .opt_text("externalExecutionSummary", action.external_execution_summary.as_deref())
        .opt_text("externalExecutionUrl", action.external_execution_url.as_deref())
        .opt_value("errorDetails", error_details)
        .build();
    let input = action.action_type.as_ref().map(|t| {
        json!({ "actionTypeId": {
            "category": t.category, "owner": t.owner, "provider": t.provider, "version": t.version,
        } })
    });
    Object::new()
        .text("pipelineExecutionId", &run.id)
        .opt_text("actionExecutionId", action.action_execution_id.as_deref())
        .value("pipelineVersion", run.pipeline_version.unwrap_or(pipeline.version).into())
        .text("stageName", &action.stage_name)
        .text("actionName", &action.action_name)
        .value("startTime", epoch(start))
        .value("lastUpdateTime", epoch(action.last_update_time.unwrap_or(start)))
        .opt_text("updatedBy", action.updated_by.as_deref())
        .text("status", &action.status)
        .opt_value("input", input)
        .value("output", json!({ "executionResult": result }))
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

    /// A structure member, as a request of its own members.
    fn opt_object(&self, name: &str) -> Result<Option<Request>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Request(map.clone()))),
            Some(_) => Err(ApiError::Validation(format!("{name} must be a structure"))),
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
