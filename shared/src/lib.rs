//! syncwarden's core: everything the functions and the CLI share.
//!
//! The crate is a functional core with a thin imperative shell:
//! - pure: [`events`] (EventBridge JSON → [`Observation`]), [`reconcile`] (state + observation →
//!   new state), the models in [`ids`], [`status`], [`observation`] and [`decision`];
//! - I/O: [`store`] (the DynamoDB history), [`aws`] (SDK configuration), [`telemetry`].
//!
//! [`recorder`] joins the two: parse → reconcile → write, the design sentence of every
//! event handler.

pub mod aws;
pub mod config;
pub mod decision;
pub mod events;
pub mod ids;
pub mod notify;
pub mod observation;
pub mod poll;
pub mod reconcile;
pub mod recorder;
pub mod resolve;
pub mod status;
pub mod store;
pub mod telemetry;

mod string_enum;

pub use observation::{Change, Observation, ObservedBy, OrderKey};
pub use reconcile::{Reconciled, ResourceState, reconcile};
pub use recorder::{Outcome, RecordError, Recorded, Recorder};
pub use store::{HistoryStore, StoreError};
