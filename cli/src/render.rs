//! Tables and JSON for people: pure functions from records to text.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;
use shared::reconcile::ResourceState;
use shared::store::HistoryEntry;
use shared::text::clip;
use shared::{Outcome, RecordError};

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    // No wrapping: rows stay one line each, for grep and for copying into an incident.
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    table
}

fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Failing first, then in progress, …; by resource within each.
fn sorted(states: &[ResourceState]) -> Vec<&ResourceState> {
    let mut sorted: Vec<&ResourceState> = states.iter().collect();
    sorted.sort_by(|a, b| b.health.cmp(&a.health).then_with(|| a.resource.cmp(&b.resource)));
    sorted
}

/// `syncwarden status`.
pub fn states_table(states: &[ResourceState]) -> String {
    if states.is_empty() {
        return "no resources tracked yet".to_owned();
    }
    let mut out =
        table(&["RESOURCE", "HEALTH", "STATUS", "COMMIT", "BRANCH", "REPOSITORY", "UPDATED (UTC)"]);
    for state in sorted(states) {
        out.add_row(vec![
            state.resource.to_string(),
            state.health.to_string(),
            state.summary(),
            state.commit().map(|c| c.short().to_owned()).unwrap_or_default(),
            state.branch().map(ToString::to_string).unwrap_or_default(),
            state.repository().unwrap_or_default().to_owned(),
            time(state.updated_at),
        ]);
    }
    out.to_string()
}

/// `syncwarden status --names`: the resource ids, one a line, in the table's order.
pub fn state_names(states: &[ResourceState]) -> String {
    sorted(states).iter().map(|s| format!("{}\n", s.resource)).collect()
}

/// A state with its derived fields spelled out, for `status --json`.
#[derive(Serialize)]
pub struct StateView<'a> {
    resource: String,
    health: shared::status::Health,
    summary: String,
    commit: Option<&'a str>,
    branch: Option<&'a str>,
    repository: Option<&'a str>,
    updated_at: chrono::DateTime<chrono::Utc>,
    facets: &'a std::collections::BTreeMap<shared::observation::Facet, shared::Observation>,
}

/// `syncwarden status --json`.
pub fn states_json(states: &[ResourceState]) -> Vec<StateView<'_>> {
    sorted(states)
        .into_iter()
        .map(|s| StateView {
            resource: s.resource.to_string(),
            health: s.health,
            summary: s.summary(),
            commit: s.commit().map(|c| c.as_str()),
            branch: s.branch().map(|b| b.as_str()),
            repository: s.repository(),
            updated_at: s.updated_at,
            facets: &s.facets,
        })
        .collect()
}

/// `syncwarden history`.
pub fn history_table(entries: &[HistoryEntry]) -> String {
    let mut out = table(&["TIME (UTC)", "CHANGE", "COMMIT", "DETAIL", "FROM", "EVENT ID"]);
    for entry in entries {
        let o = &entry.observation;
        out.add_row(vec![
            time(o.at),
            o.change.label(),
            o.commit.as_ref().map(|c| c.short().to_owned()).unwrap_or_default(),
            // Cut to fit; the full text is in `--json`.
            clip(&o.change.note().unwrap_or_default(), 100).into_owned(),
            format!("{:?}", o.observed_by).to_lowercase(),
            o.event_id.to_string(),
        ]);
    }
    out.to_string()
}

/// One line of `syncwarden replay` output.
pub fn replay_line(origin: &str, result: &Result<Outcome, RecordError>, json: bool) -> String {
    match (result, json) {
        (Ok(outcome), true) => {
            let mut line = serde_json::json!({"input": origin, "ok": true});
            if let (Some(line), Ok(serde_json::Value::Object(fields))) =
                (line.as_object_mut(), serde_json::to_value(outcome))
            {
                line.extend(fields);
            }
            line.to_string()
        }
        (Err(error), true) => serde_json::json!({
            "input": origin, "ok": false, "retryable": error.is_retryable(), "error": error.to_string()
        })
        .to_string(),
        (Ok(Outcome::Ignored(ignored)), false) => format!(
            "skip  {origin}: {} `{}` — ignored: {}",
            ignored.source, ignored.detail_type, ignored.reason
        ),
        (Ok(Outcome::Recorded(o)), false) => {
            let history = match o.history {
                shared::store::Appended::New => "recorded",
                shared::store::Appended::Duplicate => "already recorded",
                shared::store::Appended::Skipped => "not recorded",
            };
            let state = match (o.state, o.health) {
                (shared::store::StateWrite::Written, Some(health)) => format!("state → {health}"),
                (shared::store::StateWrite::Written, None) => "state written".to_owned(),
                (shared::store::StateWrite::Unchanged, _) => "state unchanged".to_owned(),
                (shared::store::StateWrite::Untracked, _) => {
                    "no Git sync manages this stack".to_owned()
                }
            };
            format!("ok    {origin}: {} {} — {history}, {state}", o.resource, o.status)
        }
        (Err(error), false) => format!("error {origin}: {error}"),
    }
}
