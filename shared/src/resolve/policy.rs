//! When a Git sync blocker may be resolved automatically: a pure decision over plain facts.
//!
//! Resolving a blocker retries the latest commit. That is only safe when the stack is stable
//! and updatable, a fix has been pushed (by default), the blocker is old enough that a person
//! had a chance to look, and earlier attempts have not been failing. The allow-list is empty by
//! default and the mode is `dry-run`: nothing is resolved until an operator opts a stack in.

use chrono::{DateTime, Duration, Utc};
use globset::GlobSet;
use serde::{Deserialize, Serialize};

use crate::decision::DecisionKind;
pub use crate::decision::Mode;
use crate::status::{BlockerStatus, StackStatus, SyncStatus};

pub use crate::globs::PatternError;
use crate::globs::glob_set;

/// The policy's rules: its settings, with the patterns compiled once.
#[derive(Debug, Clone)]
pub struct PolicyConfig {
    pub settings: PolicySettings,
    stack_set: GlobSet,
    reason_set: GlobSet,
}

/// The policy's settings as a person writes them (`AUTO_RESOLVE_*`, the template's
/// `AutoResolve*` parameters); [`Default`] holds the defaults, written once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySettings {
    pub mode: Mode,
    /// Stacks that may be auto-resolved (globs); empty: none.
    pub stacks: Vec<String>,
    /// `CreatedReason` patterns that may be auto-resolved (case-insensitive globs).
    pub reasons: Vec<String>,
    /// A blocker younger than this is left to people.
    pub min_age: Duration,
    /// Resolve only when the desired commit differs from the one whose sync failed.
    pub require_new_commit: bool,
    /// Between two attempts on one stack.
    pub cooldown: Duration,
    /// Attempts per stack per 24 hours; beyond it, escalate.
    pub daily_cap: u32,
}

impl Default for PolicySettings {
    /// Dry run, no stack allowed, any reason, 15 minutes old, a new commit required, 30
    /// minutes between attempts, 3 attempts a day.
    fn default() -> Self {
        PolicySettings {
            mode: Mode::DryRun,
            stacks: Vec::new(),
            reasons: vec!["*".into()],
            min_age: Duration::minutes(15),
            require_new_commit: true,
            cooldown: Duration::minutes(30),
            daily_cap: 3,
        }
    }
}

impl PolicyConfig {
    /// A policy from its settings; patterns are checked here.
    pub fn new(settings: PolicySettings) -> Result<Self, PatternError> {
        Ok(PolicyConfig {
            stack_set: glob_set(&settings.stacks, false)?,
            reason_set: glob_set(&settings.reasons, true)?,
            settings,
        })
    }

    /// The policy of [`PolicySettings::default`] (its patterns are valid).
    pub fn safe_defaults() -> Self {
        Self::new(PolicySettings::default())
            .unwrap_or_else(|_| unreachable!("the default patterns are valid"))
    }

    fn allows_stack(&self, stack: &str) -> bool {
        self.stack_set.is_match(stack)
    }

    fn allows_reason(&self, reason: &str) -> bool {
        self.reason_set.is_match(reason)
    }
}

/// The blocker being decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockerFacts {
    pub stack: String,
    pub id: String,
    pub status: BlockerStatus,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// What else the decision looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub now: DateTime<Utc>,
    /// `DescribeStacks`.
    pub stack_status: Option<StackStatus>,
    /// `GetResourceSyncStatus`: the latest attempt's status and commit.
    pub latest_sync: Option<(SyncStatus, String)>,
    /// `GetResourceSyncStatus`: the commit Git sync wants deployed.
    pub desired_commit: Option<String>,
    /// Times of earlier resolve attempts on this stack (from the history).
    pub earlier_attempts: Vec<DateTime<Utc>>,
}

/// The decision, with the rule that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Resolve { rule: String, reason: String },
    Skip { rule: String, why: String },
    Escalate { rule: String, why: String },
}

impl Decision {
    /// The rule that decided.
    pub fn rule(&self) -> &str {
        match self {
            Decision::Resolve { rule, .. }
            | Decision::Skip { rule, .. }
            | Decision::Escalate { rule, .. } => rule,
        }
    }

    /// Resolve, skip or escalate, without the reasons.
    pub fn kind(&self) -> DecisionKind {
        match self {
            Decision::Resolve { .. } => DecisionKind::Resolve,
            Decision::Skip { .. } => DecisionKind::Skip,
            Decision::Escalate { .. } => DecisionKind::Escalate,
        }
    }

    /// Why, in words.
    pub fn why(&self) -> &str {
        match self {
            Decision::Resolve { reason, .. } => reason,
            Decision::Skip { why, .. } | Decision::Escalate { why, .. } => why,
        }
    }
}

fn skip(rule: &str, why: impl Into<String>) -> Decision {
    Decision::Skip { rule: rule.into(), why: why.into() }
}

/// The states Git sync can deploy into (CloudFormation user guide, "Git sync status").
fn stable_and_updatable(status: &StackStatus) -> bool {
    use StackStatus::*;
    matches!(
        status,
        CreateComplete
            | UpdateComplete
            | UpdateRollbackComplete
            | ImportComplete
            | ImportRollbackComplete
    )
}

/// Decides what to do about `blocker`. Rules apply in this order; the first that says no wins.
pub fn decide(blocker: &BlockerFacts, facts: &Facts, config: &PolicyConfig) -> Decision {
    if blocker.status != BlockerStatus::Active {
        return skip("active-only", format!("blocker {} is {}", blocker.id, blocker.status));
    }
    if config.settings.mode == Mode::Off {
        return skip("mode", "auto-resolve is off");
    }
    if !config.allows_stack(&blocker.stack) {
        return skip("allow-list", format!("stack {} is not in the allow-list", blocker.stack));
    }
    if !config.allows_reason(&blocker.reason) {
        return skip("reason", "the blocker's reason matches no auto-resolvable pattern");
    }
    let age = facts.now - blocker.created_at;
    if age < config.settings.min_age {
        return skip(
            "min-age",
            format!(
                "blocker is {} min old, the policy waits {} min",
                age.num_minutes(),
                config.settings.min_age.num_minutes()
            ),
        );
    }
    match &facts.stack_status {
        None => return skip("stack-state", "the stack's CloudFormation status is unknown"),
        Some(status) if !stable_and_updatable(status) => {
            return skip("stack-state", format!("stack is {status}: not stable and updatable"));
        }
        Some(_) => {}
    }
    if config.settings.require_new_commit {
        let failed = facts.latest_sync.as_ref().map(|(_, commit)| commit);
        match (&facts.desired_commit, failed) {
            (Some(desired), Some(failed)) if desired != failed => {}
            (Some(_), Some(_)) => {
                return skip(
                    "new-commit",
                    "no fix pushed: the desired commit is the one that failed",
                );
            }
            _ => return skip("new-commit", "the desired and the failed commit are not both known"),
        }
    }
    let day_ago = facts.now - Duration::hours(24);
    let today = facts.earlier_attempts.iter().filter(|t| **t > day_ago).count();
    if today >= config.settings.daily_cap as usize {
        return Decision::Escalate {
            rule: "daily-cap".into(),
            why: format!(
                "{today} attempts in 24 h (cap {}): a person must look",
                config.settings.daily_cap
            ),
        };
    }
    if let Some(last) = facts.earlier_attempts.iter().max()
        && facts.now - *last < config.settings.cooldown
    {
        return skip(
            "cooldown",
            format!("last attempt {} min ago", (facts.now - *last).num_minutes()),
        );
    }
    Decision::Resolve {
        rule: "policy".into(),
        reason: format!(
            "stack {} is {}, a newer commit is desired, blocker is {} min old",
            blocker.stack,
            facts.stack_status.as_ref().map_or("?", |s| s.as_str()),
            age.num_minutes()
        ),
    }
}

#[cfg(test)]
mod tests;
