//! Notifications people trust: incidents, the exactly-once ledger, and the channels.
//!
//! Pure: [`incident`] (state change → incident and notice), [`notice`], [`routing`] and the
//! renderers [`slack`] and [`sns`]. The use case: [`deliver`] and [`stream`]. The Slack, SNS and
//! Secrets Manager clients live in [`crate::clients`].

pub mod deliver;
pub mod incident;
pub mod notice;
pub mod routing;
pub mod slack;
pub mod sns;
pub mod stream;

pub use notice::{EventType, Notice, NoticeKind, Severity};
