//! syncwarden's core: everything the functions and the CLI share.
//!
//! # The layer rule
//!
//! The crate is a functional core with a thin imperative shell, in four layers. A module may
//! import from its own layer and the layers below it, never from a layer above; no use case
//! imports another (what two use cases share lives a layer down); and the top-level modules
//! never import each other in a cycle. `shared/tests/layers.rs` checks all three on the source
//! and holds the table placing every module (`ARCHITECTURE.md` has the picture).
//!
//! ```text
//!   functions/*, cli            (the binaries: build the shell once, call a use case)
//!        │
//!   use cases    recorder · poll (run) · notify (deliver, stream) · resolve (action)
//!        │
//!   shell        store · clients/* · aws · lambda · config · telemetry
//!        │
//!   pure logic   events · reconcile · observe · poll::targets · resolve::policy ·
//!        │       notify::{incident, notice, routing} · renderers (notify::slack, notify::sns)
//!        │
//!   model        ids · status · observation · decision · text · globs
//! ```
//!
//! - model: [`ids`], [`status`], [`observation`], [`decision`] — validated types; [`text`] and
//!   [`globs`] (clipping text, building glob sets);
//! - pure logic: [`events`] (EventBridge JSON → [`Observation`]), [`mod@reconcile`] (state +
//!   observation → new state), [`observe`] (what the control plane says → observations),
//!   `poll::targets`, `resolve::policy`, `notify::incident` and the renderers;
//! - shell: [`store`] (the DynamoDB history), [`clients`] (one module per outside system: the
//!   control plane, CloudFormation, EventBridge, Secrets Manager, SNS, Slack), [`aws`] (SDK
//!   configuration), [`lambda`] (runtime glue), [`config`] (the environment), [`telemetry`];
//! - use cases, each as its design sentence: [`recorder`] (parse → reconcile → write), [`poll`]
//!   (read the control plane → reconcile → write → announce new blockers), [`notify`] (state
//!   change → incident → deliver once per channel) and [`resolve`] (blocker → policy → act →
//!   audit).

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
