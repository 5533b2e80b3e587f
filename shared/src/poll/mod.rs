//! The scheduled poller: what makes syncwarden trustworthy when events are missed.
//!
//! Git sync events are best-effort and sync blockers have no event at all, so on a schedule the
//! poller discovers every Git-synced stack itself ([`targets`]), reads the real state from the
//! AWS APIs ([`crate::clients::control_plane`]), turns it into observations with pure rules
//! ([`crate::observe`]) and folds them through the same [`mod@crate::reconcile`] the event
//! handlers use: it writes only what changed. New blockers are announced on the syncwarden bus
//! ([`crate::clients::eventbridge`]).

mod run;
pub mod targets;

pub use crate::globs::PipelineFilter;
pub use run::{PollConfig, PollError, PollReport, Poller};
pub use targets::Target;
