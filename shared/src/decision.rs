//! What the auto-resolver decided about a blocker and what came of it: the typed fields of
//! [`Change::BlockerDecision`](crate::observation::Change::BlockerDecision).
//!
//! History stores these as words (`escalate`, `dry-run`, `failed: RetryLatestCommitFailedException`)
//! and always has: the words are what a person reads in the table and what every record already
//! written holds. So each field is a [`Recorded`] value: a typed value this version knows,
//! written and read as exactly those words, or the stored text kept verbatim when it is a word
//! this version does not know. Code matches on the types, never on the words; a stored record
//! never fails to parse.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A value whose stored form is a word (or a word and a detail): how it is written and read.
pub trait Wire: Sized {
    /// The stored form.
    fn to_wire(&self) -> Cow<'_, str>;
    /// The value a stored form names, or `None` for a form this version does not know.
    fn from_wire(text: &str) -> Option<Self>;
}

/// A recorded value: one this version knows, or the stored text it does not (written by a newer
/// version), kept verbatim so it is shown and written back unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded<T> {
    Known(T),
    Unknown(String),
}

impl<T: Wire> Recorded<T> {
    /// Reads a stored form; never fails.
    pub fn parse(text: &str) -> Self {
        T::from_wire(text).map_or_else(|| Recorded::Unknown(text.to_owned()), Recorded::Known)
    }

    /// The known value, if it is one.
    pub fn known(&self) -> Option<&T> {
        match self {
            Recorded::Known(value) => Some(value),
            Recorded::Unknown(_) => None,
        }
    }

    /// The stored form.
    pub fn to_wire(&self) -> Cow<'_, str> {
        match self {
            Recorded::Known(value) => value.to_wire(),
            Recorded::Unknown(text) => Cow::Borrowed(text),
        }
    }
}

impl<T: Wire> From<T> for Recorded<T> {
    fn from(value: T) -> Self {
        Recorded::Known(value)
    }
}

impl<T: Wire> From<&str> for Recorded<T> {
    fn from(text: &str) -> Self {
        Recorded::parse(text)
    }
}

impl<T: Wire> fmt::Display for Recorded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

impl<T: Wire> Serialize for Recorded<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_wire())
    }
}

impl<'de, T: Wire> Deserialize<'de> for Recorded<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Recorded::parse(&text))
    }
}

/// What the policy decided: the policy's `Decision` without its reasons, which the record
/// keeps in `rule` and `why`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionKind {
    Resolve,
    Skip,
    Escalate,
}

impl DecisionKind {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Resolve => "resolve",
            DecisionKind::Skip => "skip",
            DecisionKind::Escalate => "escalate",
        }
    }
}

impl Wire for DecisionKind {
    fn to_wire(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }

    fn from_wire(text: &str) -> Option<Self> {
        match text {
            "resolve" => Some(DecisionKind::Resolve),
            "skip" => Some(DecisionKind::Skip),
            "escalate" => Some(DecisionKind::Escalate),
            _ => None,
        }
    }
}

/// Whether the auto-resolver acts: the policy's setting, and the mode a recorded decision was
/// taken in (`dry-run` also when the request asked for a dry run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Decide nothing, resolve nothing.
    Off,
    /// Decide and record what would happen; resolve nothing.
    DryRun,
    /// Resolve when the policy says so.
    Enforce,
}

impl Mode {
    /// The configured and stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::DryRun => "dry-run",
            Mode::Enforce => "enforce",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(value: &str) -> Result<Self, String> {
        match value {
            "off" => Ok(Mode::Off),
            "dry-run" => Ok(Mode::DryRun),
            "enforce" => Ok(Mode::Enforce),
            other => Err(format!("`{other}` is not a mode: use off, dry-run or enforce")),
        }
    }
}

impl Wire for Mode {
    fn to_wire(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }

    fn from_wire(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// What the action did.
///
/// Its serde form (`"resolved"`, `{"failed": "…"}`) is the action's report (the function's
/// response, the CLI's `--json`); the history stores the words of [`Wire`] (`resolved`,
/// `failed: …`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    /// `UpdateSyncBlocker` succeeded: the latest commit is being retried.
    Resolved,
    /// The blocker was already gone (resolved by someone else): success.
    AlreadyResolved,
    /// The policy would resolve it; dry-run mode (or request) kept the hands off.
    DryRun,
    /// The policy said skip or escalate.
    NotActed,
    /// Another invocation holds the blocker's lock and is acting on it.
    Busy,
    /// `UpdateSyncBlocker` failed (e.g. RetryLatestCommitFailed, throttling): a later attempt may
    /// succeed. Holds the error code (else the message).
    Failed(String),
    /// The stack has no active blocker.
    NoActiveBlocker,
}

impl ActionOutcome {
    /// Whether the outcome counts as an attempt toward the daily cap: everything but a dry run
    /// and a decision not to act.
    pub fn is_attempt(&self) -> bool {
        match self {
            ActionOutcome::DryRun | ActionOutcome::NotActed => false,
            ActionOutcome::Resolved
            | ActionOutcome::AlreadyResolved
            | ActionOutcome::Busy
            | ActionOutcome::Failed(_)
            | ActionOutcome::NoActiveBlocker => true,
        }
    }
}

const FAILED: &str = "failed: ";

impl Wire for ActionOutcome {
    fn to_wire(&self) -> Cow<'_, str> {
        Cow::Borrowed(match self {
            ActionOutcome::Resolved => "resolved",
            ActionOutcome::AlreadyResolved => "already-resolved",
            ActionOutcome::DryRun => "dry-run",
            ActionOutcome::NotActed => "not-acted",
            ActionOutcome::Busy => "busy",
            ActionOutcome::Failed(code) => return Cow::Owned(format!("{FAILED}{code}")),
            ActionOutcome::NoActiveBlocker => "no-active-blocker",
        })
    }

    fn from_wire(text: &str) -> Option<Self> {
        Some(match text {
            "resolved" => ActionOutcome::Resolved,
            "already-resolved" => ActionOutcome::AlreadyResolved,
            "dry-run" => ActionOutcome::DryRun,
            "not-acted" => ActionOutcome::NotActed,
            "busy" => ActionOutcome::Busy,
            "no-active-blocker" => ActionOutcome::NoActiveBlocker,
            other => ActionOutcome::Failed(other.strip_prefix(FAILED)?.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests;
