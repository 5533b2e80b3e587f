//! SNS rendering: a subject, a readable body and filterable attributes, always within SNS's
//! limits. Pure; [`crate::clients::sns`] publishes the result.

use std::collections::BTreeMap;

use super::notice::{Notice, NoticeKind, human_duration};
use crate::text::clip;

/// SNS rejects a `Subject` of 100 characters or more, or with line breaks.
const SUBJECT_MAX_CHARS: usize = 99;
/// Message, subject and attributes together: 256 KiB, in bytes.
const MESSAGE_MAX_BYTES: usize = 262_144;

/// One SNS message, ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsMessage {
    pub subject: String,
    pub body: String,
    /// For subscription filter policies: event_type, severity, resource, repository, account.
    pub attributes: BTreeMap<String, String>,
}

impl SnsMessage {
    /// Bytes SNS counts against its limit.
    pub fn size(&self) -> usize {
        self.subject.len()
            + self.body.len()
            + self.attributes.iter().map(|(k, v)| k.len() + "String".len() + v.len()).sum::<usize>()
    }
}

fn clean_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn cut_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let marker = "\n… (truncated)";
    let mut end = max.saturating_sub(marker.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{marker}", &text[..end])
}

/// Renders a notice for SNS. Pure; the result always fits SNS's limits.
pub fn render(notice: &Notice) -> SnsMessage {
    let prefix = match notice.kind {
        NoticeKind::Opened => "[FAILING]",
        NoticeKind::Reopened => "[FAILING AGAIN]",
        NoticeKind::Updated => "[UPDATE]",
        NoticeKind::Resolved => "[RECOVERED]",
    };
    let subject =
        clip(&clean_line(&format!("{prefix} {}", notice.headline)), SUBJECT_MAX_CHARS).into_owned();

    let mut body = vec![notice.headline.clone(), String::new()];
    let mut line = |label: &str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            body.push(format!("{label:<12}{value}"));
        }
    };
    line("Resource:", Some(&notice.resource.to_string()));
    line("Change:", Some(&notice.change));
    line("State:", Some(&notice.state));
    line("Repository:", notice.repository.as_deref());
    line("Branch:", notice.branch.as_deref());
    line("Commit:", notice.commit.as_deref());
    line("Detail:", notice.detail.as_deref());
    if let Some(blocker) = &notice.blocker {
        line(
            "Blocker:",
            Some(&format!("{} {}", blocker.id, blocker.reason.as_deref().unwrap_or(""))),
        );
        for context in &blocker.contexts {
            line("", Some(&format!("{}: {}", context.key, context.value)));
        }
    }
    let outage = notice.outage.map(human_duration);
    line("Outage:", outage.as_deref());
    line("Fixed by:", notice.fixed_by.as_deref());
    line("Account:", notice.account.as_deref());
    line("Region:", notice.region.as_deref());
    line("At:", Some(&notice.at.to_rfc3339()));
    for link in &notice.links {
        line("Link:", Some(&format!("{} {}", link.label, link.url)));
    }
    line("Incident:", Some(&notice.incident_id));

    let mut attributes = BTreeMap::new();
    let mut attribute = |name: &str, value: Option<&str>| {
        // SNS rejects empty values; each is capped so the attributes can never crowd out the body.
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            attributes.insert(name.to_owned(), clip(value, 256).into_owned());
        }
    };
    attribute("event_type", Some(notice.event_type.as_str()));
    attribute("severity", Some(notice.severity.as_str()));
    attribute("resource", Some(&notice.resource.to_string()));
    attribute("repository", notice.repository.as_deref());
    attribute("account", notice.account.as_deref());

    let mut message = SnsMessage { subject, body: String::new(), attributes };
    let room = MESSAGE_MAX_BYTES - message.size();
    message.body = cut_bytes(&body.join("\n"), room);
    message
}

#[cfg(test)]
mod tests;
