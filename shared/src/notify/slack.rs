//! Slack: Block Kit rendering of a [`Notice`]. Pure; [`crate::clients::slack`] posts the
//! result.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::notice::{Notice, NoticeKind, Severity, human_duration};
use crate::ids::short_revision;
use crate::text;

// Block Kit limits, in characters (Slack's reference; the top-level text limit is ours: Slack
// cuts at ~40k, but a notification longer than 3000 characters helps nobody).
const HEADER_MAX: usize = 150;
const SECTION_TEXT_MAX: usize = 3000;
const FIELD_MAX: usize = 2000;
const FIELDS_MAX: usize = 10;
const BLOCKS_MAX: usize = 50;
const TEXT_MAX: usize = 3000;
const BUTTONS_MAX: usize = 25;
const BUTTON_TEXT_MAX: usize = 75;
const BUTTON_URL_MAX: usize = 3000;
/// Longer links in mrkdwn would eat a field's budget; they are shown without the link.
const INLINE_URL_MAX: usize = 1000;

const GREEN: &str = ":large_green_circle:";

/// A Block Kit message for one notice: header, facts, blocker, detail, links and where/when.
///
/// `text` is always set: it is the push notification and the fallback for old clients.
pub fn message(notice: &Notice) -> Value {
    render(notice, View::Notice)
}

/// The incident's root message in thread mode: the current state, red while `open` and green
/// (with the outage) once resolved. Used for the first `chat.postMessage` and every
/// `chat.update`, so it never mentions anyone (edits do not notify, and replies do).
pub fn root(notice: &Notice, open: bool) -> Value {
    render(notice, View::Root { open })
}

#[derive(Debug, Clone, Copy)]
enum View {
    Notice,
    Root { open: bool },
}

fn render(notice: &Notice, view: View) -> Value {
    let resolved = match view {
        View::Notice => notice.kind == NoticeKind::Resolved,
        View::Root { open } => !open,
    };
    let emoji = if resolved { GREEN } else { severity_emoji(notice.severity) };
    // A root turned green from a failure notice must not read like the failure.
    let headline = if resolved && notice.kind != NoticeKind::Resolved {
        format!("Resolved: {}", notice.headline)
    } else {
        notice.headline.clone()
    };

    let mut blocks = vec![json!({
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": text::clip(&format!("{emoji} {headline}"), HEADER_MAX),
            "emoji": true,
        },
    })];
    if let View::Root { open } = view {
        blocks.push(section(&status_line(notice, open)));
    }
    blocks.push(json!({ "type": "section", "fields": fields(notice, resolved) }));
    if let Some(text) = blocker_text(notice) {
        blocks.push(section(&text));
    }
    if let Some(detail) = notice.detail.as_deref().filter(|d| !d.trim().is_empty()) {
        // The fences take 6 characters and the label 11 of the section's budget.
        let body = clip(&escape(detail), SECTION_TEXT_MAX - 17);
        blocks.push(section(&format!("*Detail*\n```{body}```")));
    }
    if let (View::Notice, Some(mention)) = (view, notice.mention.as_deref()) {
        blocks.push(section(&format!(
            ":bust_in_silhouette: Commit author: {}",
            mention_text(mention)
        )));
    }
    let buttons = buttons(notice);
    if !buttons.is_empty() {
        blocks.push(json!({ "type": "actions", "elements": buttons }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": clip(&context_text(notice, view), SECTION_TEXT_MAX) }],
    }));
    // At most 9 blocks are built today; the cap keeps a future addition from being refused.
    blocks.truncate(BLOCKS_MAX);

    json!({
        "text": clip(&fallback_text(notice, emoji, &headline, resolved), TEXT_MAX),
        "blocks": blocks,
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

fn severity_emoji(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => ":red_circle:",
        Severity::Warning => ":large_orange_circle:",
        Severity::Info => ":large_blue_circle:",
    }
}

/// The notification line: `:red_circle: Git sync failed: payments-api (main @ 9f2c1e0)`.
fn fallback_text(notice: &Notice, emoji: &str, headline: &str, resolved: bool) -> String {
    let mut text = format!("{emoji} {}", escape(headline));
    if resolved {
        if let Some(outage) = notice.outage {
            text.push_str(&format!(" after {}", human_duration(outage)));
        }
        if let Some(fix) = &notice.fixed_by {
            text.push_str(&format!(" (fixed by {})", escape(short_revision(fix))));
        }
        return text;
    }
    let commit = notice.commit.as_deref().map(short_revision);
    match (notice.branch.as_deref(), commit) {
        (Some(branch), Some(commit)) => {
            text.push_str(&format!(" ({} @ {})", escape(branch), escape(commit)))
        }
        (Some(one), None) | (None, Some(one)) => text.push_str(&format!(" ({})", escape(one))),
        (None, None) => {}
    }
    text
}

/// The root's first line: how long it has been open, or how it ended.
fn status_line(notice: &Notice, open: bool) -> String {
    if open {
        return format!(
            "{} *Open* since {} · last change {}",
            severity_emoji(notice.severity),
            rfc3339(notice.opened_at),
            rfc3339(notice.at)
        );
    }
    let mut line = format!("{GREEN} *Resolved* at {}", rfc3339(notice.at));
    if let Some(outage) = notice.outage {
        line.push_str(&format!(" after {}", human_duration(outage)));
    }
    line
}

fn fields(notice: &Notice, resolved: bool) -> Vec<Value> {
    let escaped = |value: Option<&str>| value.filter(|v| !v.is_empty()).map(escape);
    let facts = [
        ("Resource", Some(escape(&notice.resource.to_string()))),
        ("Repository", escaped(notice.repository.as_deref())),
        ("Branch", escaped(notice.branch.as_deref())),
        ("Commit", notice.commit.as_deref().map(|c| commit_ref(c, notice.commit_url.as_deref()))),
        ("Status change", escaped(Some(&notice.change))),
        ("State", escaped(Some(&notice.state))),
        ("Outage", notice.outage.filter(|_| resolved).map(human_duration)),
        (
            "Fixed by",
            notice.fixed_by.as_deref().filter(|_| resolved).map(|fix| fixed_ref(notice, fix)),
        ),
    ];
    facts
        .into_iter()
        .filter_map(|(label, value)| value.map(|value| field(label, &value)))
        .take(FIELDS_MAX)
        .collect()
}

/// A field: `*Label*` over an escaped value, within the field limit.
fn field(label: &str, value: &str) -> Value {
    let head = format!("*{label}*\n");
    let budget = FIELD_MAX - head.chars().count();
    json!({ "type": "mrkdwn", "text": format!("{head}{}", clip(value, budget)) })
}

/// `<url|9f2c1e0>` when the provider page is known and safe to link, else `` `9f2c1e0` ``.
fn commit_ref(commit: &str, url: Option<&str>) -> String {
    let short = escape(short_revision(commit));
    match url.and_then(|url| safe_url(url, INLINE_URL_MAX)) {
        Some(url) => format!("<{}|{short}>", escape(url)),
        None => format!("`{short}`"),
    }
}

/// The fixing commit, linked when it is the commit the notice's URL points at.
fn fixed_ref(notice: &Notice, fix: &str) -> String {
    let url = notice.commit_url.as_deref().filter(|_| notice.commit.as_deref() == Some(fix));
    commit_ref(fix, url)
}

fn blocker_text(notice: &Notice) -> Option<String> {
    let blocker = notice.blocker.as_ref()?;
    let mut text = format!("*Blocker* `{}`", escape(&blocker.id));
    if let Some(reason) = blocker.reason.as_deref().filter(|r| !r.is_empty()) {
        text.push_str(&format!("\n{}", escape(reason)));
    }
    for context in &blocker.contexts {
        text.push_str(&format!("\n• {}: {}", escape(&context.key), escape(&context.value)));
    }
    Some(clip(&text, SECTION_TEXT_MAX))
}

/// A configured mention (`<@U123>`, `<!subteam^S1>`) is Slack markup and goes out as is;
/// anything else is treated as text.
fn mention_text(mention: &str) -> String {
    let inner = mention.strip_prefix('<').and_then(|m| m.strip_suffix('>'));
    match inner {
        Some(inner) if mention.len() <= 200 && !inner.contains(['<', '>']) => mention.to_owned(),
        _ => escape(mention),
    }
}

fn buttons(notice: &Notice) -> Vec<Value> {
    notice
        .links
        .iter()
        .filter_map(|link| Some((link, safe_url(&link.url, BUTTON_URL_MAX)?)))
        .take(BUTTONS_MAX)
        .enumerate()
        .map(|(i, (link, url))| {
            let label = if link.label.trim().is_empty() { "Open" } else { link.label.as_str() };
            json!({
                "type": "button",
                "text": { "type": "plain_text", "text": text::clip(label, BUTTON_TEXT_MAX), "emoji": true },
                "url": url,
                // Slack requires action ids unique within a message.
                "action_id": format!("link-{i}"),
            })
        })
        .collect()
}

fn context_text(notice: &Notice, view: View) -> String {
    let mut parts: Vec<String> = [notice.account.as_deref(), notice.region.as_deref()]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .map(escape)
        .collect();
    parts.push(rfc3339(notice.at));
    if let View::Root { .. } = view {
        parts.push(format!("incident `{}`", escape(&notice.incident_id)));
    }
    parts.join(" · ")
}

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": clip(text, SECTION_TEXT_MAX) } })
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A URL that can go into a link or button: http(s), no whitespace or mrkdwn delimiters.
fn safe_url(url: &str, max: usize) -> Option<&str> {
    let web = url.starts_with("https://") || url.starts_with("http://");
    let clean = !url.contains(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '|'));
    (web && clean && url.len() <= max).then_some(url)
}

/// Escapes the three characters mrkdwn treats as control characters.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Cuts escaped mrkdwn to `max` characters ending in `…`, never inside a character or an
/// entity (a cut `&amp;` would show as `&am`).
fn clip(text: &str, max: usize) -> String {
    match text::cut(text, max) {
        None => text.to_owned(),
        Some(mut kept) => {
            if let Some(amp) = kept.rfind('&')
                && !kept[amp..].contains(';')
            {
                kept = &kept[..amp];
            }
            format!("{kept}…")
        }
    }
}

#[cfg(test)]
mod tests;
