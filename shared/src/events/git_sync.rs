//! `aws.codeconnections` Git sync events.

use serde::Deserialize;

use super::{Envelope, EventError, arn_segment, lenient};
use crate::ids::{Branch, RepositoryLinkId, ResourceId, Revision, StackName};
use crate::observation::{Change, Observation};
use crate::status::SyncStatus;

/// Detail of both sync status events; the repository event adds the link fields.
///
/// The fields that name the resource and its status are read strictly; the rest never fail
/// the event.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SyncDetail {
    status: Option<SyncStatus>,
    // The field schema says `previousSync`, AWS's own examples send `previousStatus`.
    #[serde(default, alias = "previousSync", deserialize_with = "lenient::text")]
    previous_status: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    commit: Option<String>,
    branch: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    repository_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    owner_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    provider_type: Option<String>,
    sync_target: Option<String>,
    repository_link_id: Option<String>,
    repository_arn: Option<String>,
}

fn required<'a>(
    envelope: &Envelope,
    value: &'a Option<String>,
    path: &str,
) -> Result<&'a str, EventError> {
    value.as_deref().filter(|v| !v.trim().is_empty()).ok_or_else(|| envelope.error(path, "missing"))
}

fn complete(
    envelope: &Envelope,
    resource: ResourceId,
    detail: SyncDetail,
) -> Result<Observation, EventError> {
    let status = detail.status.ok_or_else(|| envelope.error("detail.status", "missing"))?;
    // Kept as sent: AWS's own examples say `sample-commit-id`, and a SHA-256 repository sends
    // 64 hex digits. Only text no revision can be (control characters) is dropped.
    let commit = detail.commit.and_then(|revision| Revision::new(revision).ok());
    let branch = required(envelope, &detail.branch, "detail.branch")?;
    let branch = Branch::new(branch).map_err(|e| envelope.invalid("detail.branch", e))?;
    let repository = match (detail.owner_id, detail.repository_name) {
        (Some(owner), Some(name)) if !owner.is_empty() => Some(format!("{owner}/{name}")),
        (_, name) => name,
    };
    let change = Change::GitSync {
        status,
        previous: detail.previous_status.as_deref().map(SyncStatus::parse),
        provider: detail.provider_type,
        stuck_since: None,
    };
    let mut observation = envelope.observe(resource, change);
    observation.commit = commit;
    observation.branch = Some(branch);
    observation.repository = repository;
    Ok(observation)
}

/// Git Sync Resource Sync Status Change: the stack named by `syncTarget`.
pub(super) fn resource(envelope: &Envelope, detail: SyncDetail) -> Result<Observation, EventError> {
    // `syncTarget` is a stack ARN in AWS's example and the bare stack name in the API's
    // `ResourceName`; accept both, and fall back to `resources[0]`.
    let target = detail
        .sync_target
        .as_deref()
        .filter(|t| !t.is_empty())
        .or_else(|| envelope.resources.first().map(String::as_str))
        .ok_or_else(|| envelope.error("detail.syncTarget", "missing (and no resources[0])"))?;
    let name = if target.starts_with("arn:") {
        arn_segment(target, ":stack/").ok_or_else(|| {
            envelope.error("detail.syncTarget", format!("`{target}` is not a stack ARN"))
        })?
    } else {
        target
    };
    let stack = StackName::new(name).map_err(|e| envelope.invalid("detail.syncTarget", e))?;
    complete(envelope, ResourceId::Stack(stack), detail)
}

/// Git Sync Repository Sync Status Change: the repository link's branch.
pub(super) fn repository(
    envelope: &Envelope,
    detail: SyncDetail,
) -> Result<Observation, EventError> {
    let link = detail
        .repository_link_id
        .as_deref()
        .filter(|l| !l.is_empty())
        .or_else(|| {
            detail.repository_arn.as_deref().and_then(|a| arn_segment(a, ":repository-link/"))
        })
        .or_else(|| envelope.resources.first().and_then(|a| arn_segment(a, ":repository-link/")))
        .ok_or_else(|| {
            envelope.error("detail.repositoryLinkId", "missing (and no repository-link ARN)")
        })?;
    let link =
        RepositoryLinkId::new(link).map_err(|e| envelope.invalid("detail.repositoryLinkId", e))?;
    let branch = required(envelope, &detail.branch, "detail.branch")?;
    let branch = Branch::new(branch).map_err(|e| envelope.invalid("detail.branch", e))?;
    complete(envelope, ResourceId::Repository { link, branch }, detail)
}
