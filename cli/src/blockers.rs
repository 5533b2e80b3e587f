//! `syncwarden blockers` and `syncwarden resolve`: the auto-resolver, seen and run by hand.

use anyhow::Result;
use chrono::Utc;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;
use shared::HistoryStore;
use shared::ids::ResourceId;
use shared::observation::Change;
use shared::resolve::{Decision, Mode, ResolveReport, ResolveRequest, Resolver};
use shared::store::StateFilter;

/// One active blocker and what the policy would do about it.
#[derive(Debug, Serialize)]
pub struct BlockerRow {
    stack: String,
    blocker: String,
    age_minutes: i64,
    reason: Option<String>,
    decision: Option<Decision>,
}

/// Every active blocker the history knows of, with the policy's verdict from fresh facts.
pub async fn list(store: &HistoryStore, resolver: &Resolver) -> Result<Vec<BlockerRow>> {
    let now = Utc::now();
    let mut rows = Vec::new();
    for state in store.states(StateFilter::Failing).await? {
        let ResourceId::Stack(stack) = &state.resource else { continue };
        for blocker in state.active_blockers() {
            let Change::Blocker { id, reason, created_at, .. } = &blocker.change else { continue };
            let request = ResolveRequest {
                stack: stack.clone(),
                blocker_id: Some(id.to_string()),
                requested_by: "syncwarden blockers".into(),
                dry_run: true,
            };
            let decision = resolver.evaluate(&request, now).await?.map(|(decision, _)| decision);
            rows.push(BlockerRow {
                stack: stack.to_string(),
                blocker: id.to_string(),
                age_minutes: (now - *created_at).num_minutes(),
                reason: reason.clone(),
                decision,
            });
        }
    }
    Ok(rows)
}

fn verdict(decision: &Option<Decision>) -> String {
    match decision {
        Some(Decision::Resolve { .. }) => "resolve".into(),
        Some(Decision::Skip { rule, why }) => format!("skip ({rule}): {why}"),
        Some(Decision::Escalate { rule, why }) => format!("escalate ({rule}): {why}"),
        None => "gone (resolved since the last poll)".into(),
    }
}

/// The `blockers` table.
pub fn table(rows: &[BlockerRow], mode: Mode) -> String {
    if rows.is_empty() {
        return "no active blockers".into();
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec!["STACK", "BLOCKER", "AGE", "REASON", &format!("POLICY ({mode:?})")]);
    for row in rows {
        let reason = shared::text::clip(row.reason.as_deref().unwrap_or_default(), 80).into_owned();
        table.add_row(vec![
            row.stack.clone(),
            row.blocker.clone(),
            format!("{}h {:02}m", row.age_minutes / 60, row.age_minutes % 60),
            reason,
            verdict(&row.decision),
        ]);
    }
    table.to_string()
}

/// One line for `resolve`.
pub fn report_line(report: &ResolveReport) -> String {
    format!(
        "{} blocker {}: {} → {:?}",
        report.stack,
        report.blocker_id.as_deref().unwrap_or("-"),
        verdict(&report.decision),
        report.outcome
    )
}
