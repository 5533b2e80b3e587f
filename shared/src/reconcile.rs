//! The current state of a resource, and the pure rule that folds an observation into it.
//!
//! The event handlers, the poller and the auto-resolver's audit all go through [`reconcile`],
//! so a state is only ever written when an observation is newer than what the state holds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{Branch, ResourceId, ResourceKind, Revision};
use crate::observation::{Change, Facet, Observation, ObservedBy};
use crate::status::Health;

/// What syncwarden knows about a resource now: the newest observation of each facet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceState {
    pub resource: ResourceId,
    /// The worst health among the facets.
    pub health: Health,
    /// Time of the newest observation in any facet.
    pub updated_at: DateTime<Utc>,
    /// The newest observation per facet.
    pub facets: BTreeMap<Facet, Observation>,
    /// Optimistic-lock counter: each write expects the version it read.
    pub version: u64,
}

/// What [`reconcile`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// The state becomes this (write it).
    Changed(ResourceState),
    /// The observation is not newer than the state, or is history-only detail: write nothing.
    Unchanged,
    /// A CloudFormation event for a stack no Git sync event has named: not ours to track.
    Untracked,
}

impl ResourceState {
    /// The newest observation across facets.
    pub fn latest(&self) -> Option<&Observation> {
        self.facets.values().max_by_key(|o| o.order_key())
    }

    /// The commit the resource is on, as far as syncwarden knows (newest facet that names one).
    pub fn commit(&self) -> Option<&Revision> {
        self.newest_with(|o| o.commit.as_ref())
    }

    /// The branch, from the newest facet that names one.
    pub fn branch(&self) -> Option<&Branch> {
        self.newest_with(|o| o.branch.as_ref())
    }

    /// The repository, from the newest facet that names one.
    pub fn repository(&self) -> Option<&str> {
        self.newest_with(|o| o.repository.as_deref())
    }

    fn newest_with<'a, T: ?Sized>(
        &'a self,
        field: impl Fn(&'a Observation) -> Option<&'a T>,
    ) -> Option<&'a T> {
        let mut facets: Vec<&Observation> = self.facets.values().collect();
        facets.sort_by_key(|o| std::cmp::Reverse(o.order_key()));
        facets.into_iter().find_map(field)
    }

    /// One line per facet that matters now, e.g. `git sync FAILED · stack
    /// UPDATE_ROLLBACK_COMPLETE · blocker blk-1 ACTIVE` (resolved blockers and settled
    /// auto-resolve decisions are history; an escalation stays in view).
    pub fn summary(&self) -> String {
        self.facets
            .iter()
            .filter(|(facet, o)| {
                !matches!(facet, Facet::Blocker(_) | Facet::Decision(_) | Facet::Access)
                    || o.change.health() != Health::Healthy
            })
            .map(|(_, o)| o.change.label())
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The blockers currently stopping this stack's sync.
    pub fn active_blockers(&self) -> impl Iterator<Item = &Observation> {
        self.facets.values().filter(|o| {
            matches!(o.change, Change::Blocker { status: crate::status::BlockerStatus::Active, .. })
        })
    }
}

/// Folds `observation` into the `previous` state of its resource.
///
/// Order-independent by construction: each facet keeps the maximum observation under
/// [`crate::OrderKey`], and everything else is derived from the facets, so any delivery order
/// of the same events ends in the same state. (One exception, by design: a CloudFormation
/// event that arrives before the stack's first Git sync event is [`Reconciled::Untracked`].)
pub fn reconcile(previous: Option<&ResourceState>, observation: &Observation) -> Reconciled {
    let Some(facet) = observation.change.facet() else {
        return Reconciled::Unchanged;
    };
    let tracks_stack_events = |state: Option<&ResourceState>| {
        state.is_some_and(|s| s.facets.contains_key(&Facet::GitSync))
    };
    if matches!(observation.change, Change::Stack { .. })
        && observation.resource.kind() == ResourceKind::Stack
        && !tracks_stack_events(previous)
    {
        // The rule sees every stack in the account; only Git-synced ones are ours.
        return Reconciled::Untracked;
    }
    let current = previous.and_then(|s| s.facets.get(&facet));
    // A poll that only confirms what is known records nothing (and costs no write), however
    // late its timestamp: the poller reports what events missed, not that it looked.
    if observation.observed_by == ObservedBy::Poll
        && current.is_some_and(|c| c.confirmed_by(observation))
    {
        return Reconciled::Unchanged;
    }
    let newest = match current {
        Some(current) if current.order_key() >= observation.order_key() => {
            match with_context_of(current, observation) {
                Some(enriched) => enriched,
                None => return Reconciled::Unchanged,
            }
        }
        Some(current) => {
            with_context_of(observation, current).unwrap_or_else(|| observation.clone())
        }
        None => observation.clone(),
    };
    let mut facets = previous.map(|s| s.facets.clone()).unwrap_or_default();
    facets.insert(facet, newest);
    let health = facets.values().map(|o| o.change.health()).max().unwrap_or(Health::Unknown);
    let updated_at = facets.values().map(|o| o.at).max().unwrap_or(observation.at);
    Reconciled::Changed(ResourceState {
        resource: observation.resource.clone(),
        health,
        updated_at,
        facets,
        version: previous.map_or(0, |s| s.version) + 1,
    })
}

/// `newest` with the commit, branch, repository and author of `other` when both report the
/// same pipeline execution and only `other` names them.
///
/// Only a pipeline's STARTED event carries its Git trigger; without this, the FAILED state of
/// the same execution would not say which commit failed. Symmetric in arrival order, so the
/// final state does not depend on which of the two came first.
fn with_context_of(newest: &Observation, other: &Observation) -> Option<Observation> {
    let (
        Change::PipelineExecution { execution_id: a, author: newest_author, .. },
        Change::PipelineExecution { execution_id: b, author: other_author, .. },
    ) = (&newest.change, &other.change)
    else {
        return None;
    };
    if a != b {
        return None;
    }
    let mut enriched = newest.clone();
    if newest.commit.is_none() && other.commit.is_some() {
        enriched.commit.clone_from(&other.commit);
        enriched.branch.clone_from(&other.branch);
        enriched.repository.clone_from(&other.repository);
    }
    if let Change::PipelineExecution { author, .. } = &mut enriched.change
        && newest_author.is_none()
    {
        author.clone_from(other_author);
    }
    (enriched != *newest).then_some(enriched)
}

#[cfg(test)]
mod tests;
