//! Notifications people trust: incidents, the exactly-once ledger, and the channels.

pub mod deliver;
pub mod incident;
pub mod notice;
pub mod routing;
pub mod secrets;
pub mod slack;
pub mod sns;
pub mod stream;

pub use notice::{EventType, Notice, NoticeKind, Severity};
