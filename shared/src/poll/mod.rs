//! The scheduled poller: what makes syncwarden trustworthy when events are missed.
//!
//! Git sync events are best-effort and sync blockers have no event at all, so on a schedule the
//! poller discovers every Git-synced stack itself ([`targets`]), reads the real state from the
//! AWS APIs ([`control_plane`]), turns it into observations with pure rules ([`observe`]) and
//! folds them through the same [`crate::reconcile`] the event handlers use: it writes only what
//! changed. New blockers are announced on the syncwarden bus ([`emit`]).

pub mod control_plane;
pub mod emit;
pub mod observe;
mod run;
pub mod targets;

pub use control_plane::{ApiError, ControlPlane};
pub use emit::{BlockerDetected, BlockerEmitter};
pub use run::{PollConfig, PollError, PollReport, Poller, deadline_from_epoch_ms};
pub use targets::{PipelineFilter, Target};
