//! CodeConnections over both of its protocols: Smithy RPC v2 CBOR (`POST
//! /service/<Service>/operation/<Op>`, the Rust SDK) and awsJson1_0 (`POST /` with
//! `X-Amz-Target`, boto3 and the CLI). One set of operations serves both; see [`crate::cbor`].
//! Member names are PascalCase, exactly as in the service model.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::cbor::{CborMap, CborRequest, encode, to_json};
use crate::error::{ApiError, Service};
use crate::scenario::{
    Connection, RepositoryLink, ResourceSyncAttempt, Scenario, SyncBlocker, SyncConfiguration,
    SyncEvent, paginate,
};
use crate::{SharedState, lock};

/// The service shape name, bare and namespaced; clients may send either.
const SERVICE_NAMES: [&str; 2] =
    ["CodeConnections_20231201", "com.amazonaws.codeconnections.CodeConnections_20231201"];
const ERROR_NAMESPACE: &str = "com.amazonaws.codeconnections";
const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The operation an awsJson `X-Amz-Target` names, if it is addressed to CodeConnections
/// (`<service name>.<Op>`, with either service name).
pub(crate) fn json_operation(target: &str) -> Option<&str> {
    let (service, operation) = target.rsplit_once('.')?;
    SERVICE_NAMES.contains(&service).then_some(operation)
}

/// Serves one RPC v2 request: count it, inject faults, validate the envelope, dispatch.
pub(crate) async fn serve(
    State(state): State<SharedState>,
    Path((service, operation)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count(&operation);
    if let Some(fault) = state.faults.apply(&operation).await {
        return cbor_error(&fault);
    }
    if !SERVICE_NAMES.contains(&service.as_str()) {
        return cbor_error(&ApiError::UnknownOperation(format!("{service}.{operation}")));
    }
    // RPC v2 forbids X-Amz-Target: a request carrying it was meant for the JSON protocol.
    if headers.contains_key("x-amz-target") || headers.contains_key("x-amzn-target") {
        return cbor_error(&ApiError::InvalidInput(
            "X-Amz-Target is not allowed with the rpc-v2-cbor protocol".to_owned(),
        ));
    }
    match CborRequest::decode(&body).and_then(|request| run(&state, &operation, &request)) {
        Ok(output) => cbor_response(StatusCode::OK, &output.build()),
        Err(e) => cbor_error(&e),
    }
}

/// Serves one awsJson1_0 request (`POST /`, `X-Amz-Target: <service name>.<Op>`), the
/// protocol boto3 and the AWS CLI send: the same operations on the same state as RPC v2.
pub(crate) async fn serve_json(state: SharedState, operation: &str, body: Bytes) -> Response {
    state.count(operation);
    if let Some(fault) = state.faults.apply(operation).await {
        return json_error(&fault);
    }
    match CborRequest::from_json(&body).and_then(|request| run(&state, operation, &request)) {
        Ok(output) => json_response(StatusCode::OK, &to_json(&output.build())),
        Err(e) => json_error(&e),
    }
}

/// Runs an operation on the shared scenario.
fn run(state: &SharedState, operation: &str, request: &CborRequest) -> Result<CborMap, ApiError> {
    let result = dispatch(&mut lock(&state.scenario), operation, request);
    if let Err(e) = &result {
        tracing::debug!(operation, error = %e, "CodeConnections error");
    }
    result
}

fn dispatch(
    scenario: &mut Scenario,
    operation: &str,
    request: &CborRequest,
) -> Result<CborMap, ApiError> {
    match operation {
        "ListRepositoryLinks" => list_repository_links(scenario, request),
        "GetRepositoryLink" => get_repository_link(scenario, request),
        "ListSyncConfigurations" => list_sync_configurations(scenario, request),
        "GetSyncConfiguration" => get_sync_configuration(scenario, request),
        "ListRepositorySyncDefinitions" => list_repository_sync_definitions(scenario, request),
        "GetResourceSyncStatus" => get_resource_sync_status(scenario, request),
        "GetRepositorySyncStatus" => get_repository_sync_status(scenario, request),
        "GetSyncBlockerSummary" => get_sync_blocker_summary(scenario, request),
        "UpdateSyncBlocker" => update_sync_blocker(scenario, request),
        "GetConnection" => get_connection(scenario, request),
        "ListConnections" => list_connections(scenario, request),
        other => Err(ApiError::UnknownOperation(other.to_owned())),
    }
}

fn list_repository_links(scenario: &Scenario, req: &CborRequest) -> Result<CborMap, ApiError> {
    let page = paginate(
        &scenario.repository_links,
        scenario.page_size,
        req.opt_int("MaxResults")?,
        req.opt_text("NextToken")?,
    )
    .map_err(|_| bad_token())?;
    Ok(CborMap::new()
        .list("RepositoryLinks", page.items.iter().map(repository_link_info))
        .opt_text("NextToken", page.next_token.as_deref()))
}

fn get_repository_link(scenario: &Scenario, req: &CborRequest) -> Result<CborMap, ApiError> {
    let link = find_link(scenario, req.text("RepositoryLinkId")?)?;
    Ok(CborMap::new().map("RepositoryLinkInfo", repository_link_info(link)))
}

fn list_sync_configurations(scenario: &Scenario, req: &CborRequest) -> Result<CborMap, ApiError> {
    let link = find_link(scenario, req.text("RepositoryLinkId")?)?;
    let sync_type = req.text("SyncType")?;
    let configs: Vec<&SyncConfiguration> = scenario
        .sync_configurations
        .iter()
        .filter(|c| c.repository_link_id == link.id && c.sync_type == sync_type)
        .collect();
    let page = paginate(
        &configs,
        scenario.page_size,
        req.opt_int("MaxResults")?,
        req.opt_text("NextToken")?,
    )
    .map_err(|_| bad_token())?;
    let items = page.items.iter().map(|c| sync_configuration(c, link)).collect::<Vec<_>>();
    Ok(CborMap::new()
        .list("SyncConfigurations", items)
        .opt_text("NextToken", page.next_token.as_deref()))
}

fn get_sync_configuration(scenario: &Scenario, req: &CborRequest) -> Result<CborMap, ApiError> {
    let (config, link) = find_configuration(scenario, req)?;
    Ok(CborMap::new().map("SyncConfiguration", sync_configuration(config, link)))
}

fn list_repository_sync_definitions(
    scenario: &Scenario,
    req: &CborRequest,
) -> Result<CborMap, ApiError> {
    let link = find_link(scenario, req.text("RepositoryLinkId")?)?;
    let sync_type = req.text("SyncType")?;
    // For CloudFormation stack sync the parent and the target are the same resource (the stack).
    let definitions = scenario
        .sync_configurations
        .iter()
        .filter(|c| c.repository_link_id == link.id && c.sync_type == sync_type)
        .map(|c| {
            CborMap::new()
                .text("Branch", &c.branch)
                .text("Directory", &c.config_file)
                .text("Parent", &c.resource_name)
                .text("Target", &c.resource_name)
        })
        .collect::<Vec<_>>();
    Ok(CborMap::new().list("RepositorySyncDefinitions", definitions))
}

fn get_resource_sync_status(scenario: &Scenario, req: &CborRequest) -> Result<CborMap, ApiError> {
    let (config, link) = find_configuration(scenario, req)?;
    let name = &config.resource_name;
    let stack = scenario
        .stacks
        .get(name)
        .ok_or_else(|| not_found(format!("No sync status found for resource {name}.")))?;
    let latest = stack
        .latest_sync
        .as_ref()
        .ok_or_else(|| not_found(format!("Resource {name} has not been synced yet.")))?;
    let revision = |sha: &str| {
        CborMap::new()
            .text("Branch", &config.branch)
            .text("Directory", &config.config_file)
            .text("OwnerId", &link.owner_id)
            .text("RepositoryName", &link.repository_name)
            .text("ProviderType", &link.provider_type)
            .text("Sha", sha)
    };
    let attempt = |a: &ResourceSyncAttempt| {
        CborMap::new()
            .list("Events", a.events.iter().map(sync_event))
            .map("InitialRevision", revision(&a.initial_sha))
            .timestamp("StartedAt", a.started_at)
            .text("Status", &a.status)
            .map("TargetRevision", revision(&a.target_sha))
            .text("Target", name)
    };
    Ok(CborMap::new()
        .map("DesiredState", revision(&stack.desired_sha))
        .opt_map("LatestSuccessfulSync", stack.latest_successful_sync.as_ref().map(attempt))
        .map("LatestSync", attempt(latest)))
}

fn get_repository_sync_status(scenario: &Scenario, req: &CborRequest) -> Result<CborMap, ApiError> {
    let branch = req.text("Branch")?;
    let link = find_link(scenario, req.text("RepositoryLinkId")?)?;
    req.text("SyncType")?;
    let key = Scenario::repository_sync_key(&link.id, branch);
    let sync = scenario.repository_syncs.get(&key).ok_or_else(|| {
        not_found(format!(
            "No repository sync found for branch {branch} of repository link {}.",
            link.id
        ))
    })?;
    Ok(CborMap::new().map(
        "LatestSync",
        CborMap::new()
            .timestamp("StartedAt", sync.started_at)
            .text("Status", &sync.status)
            .list("Events", sync.events.iter().map(sync_event)),
    ))
}

fn get_sync_blocker_summary(scenario: &Scenario, req: &CborRequest) -> Result<CborMap, ApiError> {
    let name = known_resource(scenario, req)?;
    let blockers = scenario.stacks.get(name).map(|s| s.blockers.as_slice()).unwrap_or_default();
    Ok(CborMap::new().map(
        "SyncBlockerSummary",
        CborMap::new()
            .text("ResourceName", name)
            .text("ParentResourceName", name)
            .list("LatestBlockers", blockers.iter().map(sync_blocker)),
    ))
}

fn update_sync_blocker(scenario: &mut Scenario, req: &CborRequest) -> Result<CborMap, ApiError> {
    let id = req.text("Id")?;
    let reason = req.text("ResolvedReason")?;
    let name = known_resource(scenario, req)?.to_owned();
    let retry_fails = scenario.retry_latest_commit_fails.contains(&name);
    let stack = scenario.stacks.get_mut(&name).ok_or(ApiError::SyncBlockerDoesNotExist)?;
    let blocker = stack
        .blockers
        .iter_mut()
        .find(|b| b.id == id && b.status != "RESOLVED")
        .ok_or(ApiError::SyncBlockerDoesNotExist)?;
    // Resolving retries the latest commit; when that retry cannot start the blocker stays.
    if retry_fails {
        return Err(ApiError::RetryLatestCommitFailed);
    }
    let now = now_millis();
    blocker.status = "RESOLVED".to_owned();
    blocker.resolved_reason = Some(reason.to_owned());
    blocker.resolved_at = Some(now);
    let resolved = sync_blocker(blocker);

    // The retry starts from where the stack is (the failed attempt's start, else the last
    // success) and targets the commit Git sync wants deployed.
    let initial_sha = stack
        .latest_sync
        .as_ref()
        .map(|s| s.initial_sha.clone())
        .or_else(|| stack.latest_successful_sync.as_ref().map(|s| s.target_sha.clone()))
        .unwrap_or_else(|| stack.desired_sha.clone());
    stack.latest_sync = Some(ResourceSyncAttempt {
        status: "INITIATED".to_owned(),
        started_at: now,
        initial_sha,
        target_sha: stack.desired_sha.clone(),
        events: vec![SyncEvent {
            time: now,
            event: format!("Sync resumed after blocker {id} was resolved"),
            event_type: "SYNC_RESUMED".to_owned(),
            external_id: None,
        }],
    });
    Ok(CborMap::new()
        .text("ResourceName", &name)
        .text("ParentResourceName", &name)
        .map("SyncBlocker", resolved))
}

fn get_connection(scenario: &Scenario, req: &CborRequest) -> Result<CborMap, ApiError> {
    let arn = req.text("ConnectionArn")?;
    let connection = scenario
        .connections
        .iter()
        .find(|c| c.arn == arn)
        .ok_or_else(|| not_found(format!("Connection {arn} does not exist")))?;
    Ok(CborMap::new().map("Connection", connection_info(connection)))
}

fn list_connections(scenario: &Scenario, req: &CborRequest) -> Result<CborMap, ApiError> {
    let provider = req.opt_text("ProviderTypeFilter")?;
    let host = req.opt_text("HostArnFilter")?;
    let matching: Vec<&Connection> = scenario
        .connections
        .iter()
        .filter(|c| provider.is_none_or(|p| c.provider_type == p))
        .filter(|c| host.is_none_or(|h| c.host_arn.as_deref() == Some(h)))
        .collect();
    let page = paginate(
        &matching,
        scenario.page_size,
        req.opt_int("MaxResults")?,
        req.opt_text("NextToken")?,
    )
    .map_err(|_| bad_token())?;
    Ok(CborMap::new()
        .list("Connections", page.items.iter().map(|c| connection_info(c)).collect::<Vec<_>>())
        .opt_text("NextToken", page.next_token.as_deref()))
}

// --- lookups -------------------------------------------------------------------------------

fn find_link<'a>(scenario: &'a Scenario, id: &str) -> Result<&'a RepositoryLink, ApiError> {
    scenario
        .repository_link(id)
        .ok_or_else(|| not_found(format!("Repository link {id} does not exist.")))
}

/// The sync configuration named by `ResourceName` + `SyncType`, with its repository link.
fn find_configuration<'a>(
    scenario: &'a Scenario,
    req: &CborRequest,
) -> Result<(&'a SyncConfiguration, &'a RepositoryLink), ApiError> {
    let name = req.text("ResourceName")?;
    let sync_type = req.text("SyncType")?;
    let config = scenario
        .sync_configuration(name, sync_type)
        .ok_or_else(|| not_found(format!("No sync configuration found for resource {name}.")))?;
    let link = find_link(scenario, &config.repository_link_id)?;
    Ok((config, link))
}

/// The `ResourceName` of a request, if the scenario knows it (by configuration or state).
fn known_resource<'a>(scenario: &Scenario, req: &'a CborRequest) -> Result<&'a str, ApiError> {
    let name = req.text("ResourceName")?;
    let sync_type = req.text("SyncType")?;
    if scenario.sync_configuration(name, sync_type).is_some() || scenario.stacks.contains_key(name)
    {
        Ok(name)
    } else {
        Err(not_found(format!("Resource {name} does not exist.")))
    }
}

fn not_found(message: String) -> ApiError {
    ApiError::ResourceNotFound(message)
}

fn bad_token() -> ApiError {
    ApiError::InvalidInput("The NextToken is not valid.".to_owned())
}

fn now_millis() -> chrono::DateTime<Utc> {
    let now = Utc::now();
    chrono::DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

// --- output shapes -------------------------------------------------------------------------

fn repository_link_info(link: &RepositoryLink) -> CborMap {
    CborMap::new()
        .text("ConnectionArn", &link.connection_arn)
        .opt_text("EncryptionKeyArn", link.encryption_key_arn.as_deref())
        .text("OwnerId", &link.owner_id)
        .text("ProviderType", &link.provider_type)
        .text("RepositoryLinkArn", &link.arn())
        .text("RepositoryLinkId", &link.id)
        .text("RepositoryName", &link.repository_name)
}

fn sync_configuration(config: &SyncConfiguration, link: &RepositoryLink) -> CborMap {
    CborMap::new()
        .text("Branch", &config.branch)
        .text("ConfigFile", &config.config_file)
        .text("OwnerId", &link.owner_id)
        .text("ProviderType", &link.provider_type)
        .text("RepositoryLinkId", &config.repository_link_id)
        .text("RepositoryName", &link.repository_name)
        .text("ResourceName", &config.resource_name)
        .text("RoleArn", &config.role_arn)
        .text("SyncType", &config.sync_type)
        .opt_text("PublishDeploymentStatus", config.publish_deployment_status.as_deref())
        .opt_text("TriggerResourceUpdateOn", config.trigger_resource_update_on.as_deref())
}

fn sync_event(event: &SyncEvent) -> CborMap {
    CborMap::new()
        .text("Event", &event.event)
        .opt_text("ExternalId", event.external_id.as_deref())
        .timestamp("Time", event.time)
        .text("Type", &event.event_type)
}

fn sync_blocker(blocker: &SyncBlocker) -> CborMap {
    CborMap::new()
        .text("Id", &blocker.id)
        .text("Type", &blocker.blocker_type)
        .text("Status", &blocker.status)
        .text("CreatedReason", &blocker.created_reason)
        .timestamp("CreatedAt", blocker.created_at)
        .list(
            "Contexts",
            blocker
                .contexts
                .iter()
                .map(|c| CborMap::new().text("Key", &c.key).text("Value", &c.value)),
        )
        .opt_text("ResolvedReason", blocker.resolved_reason.as_deref())
        .opt_timestamp("ResolvedAt", blocker.resolved_at)
}

fn connection_info(connection: &Connection) -> CborMap {
    CborMap::new()
        .text("ConnectionName", &connection.name)
        .text("ConnectionArn", &connection.arn)
        .text("ProviderType", &connection.provider_type)
        .text("OwnerAccountId", &connection.owner_account_id)
        .text("ConnectionStatus", &connection.status)
        .opt_text("HostArn", connection.host_arn.as_deref())
}

// --- wire ----------------------------------------------------------------------------------

fn cbor_response(status: StatusCode, body: &ciborium::Value) -> Response {
    let mut response = (status, encode(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/cbor"));
    // The spec requires this header on every response, errors included.
    headers.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    response
}

/// An error as RPC v2 sends it: `__type` holds the absolute shape id, `Message` the text (the
/// model's member name), the status is the model's. An unknown operation is a route that does
/// not exist, so 404.
fn cbor_error(error: &ApiError) -> Response {
    let status = match error {
        ApiError::UnknownOperation(_) => StatusCode::NOT_FOUND,
        other => other.status(Service::CodeConnections),
    };
    cbor_response(status, &error_body(error).build())
}

/// An error as awsJson1_0 sends it: the same body, as JSON.
fn json_error(error: &ApiError) -> Response {
    json_response(error.status(Service::CodeConnections), &to_json(&error_body(error).build()))
}

fn error_body(error: &ApiError) -> CborMap {
    let name = error.code(Service::CodeConnections);
    CborMap::new()
        .text("__type", &format!("{ERROR_NAMESPACE}#{name}"))
        .text("Message", &error.to_string())
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}
