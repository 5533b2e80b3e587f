//! syncwarden's core: everything the functions and the CLI share.
//!
//! The crate is a functional core with a thin imperative shell:
//! - pure: [`events`] (EventBridge JSON → [`Observation`]), [`reconcile`] (state + observation →
//!   new state), the models in [`ids`], [`status`], [`observation`] and [`decision`];
//! - I/O: [`store`] (the DynamoDB history), [`aws`] (SDK configuration), [`telemetry`].
//!
//! The use cases join the two, each as its design sentence: [`recorder`] (parse → reconcile →
//! write), [`poll`] (read the control plane → reconcile → write → announce new blockers),
//! [`notify`] (state change → incident → deliver once per channel) and [`resolve`] (blocker →
//! policy → act → audit). Each keeps its pure rules in a submodule of its own (`poll::observe`,
//! `notify::incident`, `resolve::policy`, the renderers); [`config`] reads the environment.

pub mod aws;
pub mod clients;
pub mod config;
pub mod decision;
pub mod events;
pub mod globs;
pub mod ids;
pub mod lambda;
pub mod notify;
pub mod observation;
pub mod observe;
pub mod poll;
pub mod reconcile;
pub mod recorder;
pub mod resolve;
pub mod status;
pub mod store;
pub mod telemetry;
pub mod text;

mod string_enum;

pub use observation::{Change, Observation, ObservedBy, OrderKey};
pub use reconcile::{Reconciled, ResourceState, reconcile};
pub use recorder::{Outcome, RecordError, Recorded, Recorder};
pub use store::{HistoryStore, StoreError};
