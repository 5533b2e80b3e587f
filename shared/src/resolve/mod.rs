//! The auto-resolve-blocker action: resolve Git sync blockers when, and only when, the policy
//! says it is safe.

pub mod action;
pub mod policy;

pub use action::{ActionOutcome, RequestError, ResolveReport, ResolveRequest, Resolver};
pub use policy::{BlockerFacts, Decision, Facts, Mode, PolicyConfig, PolicySettings, decide};
