//! Reading events for `replay`: files, directories, stdin; one object per file or per line.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use shared::events::EventError;

/// One event read from the input, or why it could not be read as one.
pub struct InputEvent {
    /// Where it came from: `path` or `path:line`.
    pub origin: String,
    pub bytes: Result<Vec<u8>, EventError>,
}

/// Reads every event under `input` (`-` is standard input), in the order they happened.
pub fn read(input: &Path) -> Result<Vec<InputEvent>> {
    let mut events = Vec::new();
    if input == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("reading standard input")?;
        events = split("-", &text);
    } else {
        let mut files = Vec::new();
        collect(input, &mut files)?;
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            events.extend(split(&file.display().to_string(), &text));
        }
    }
    in_time_order(&mut events);
    Ok(events)
}

/// Sorts events by their own `time` (stable; unreadable ones first, so their errors lead).
///
/// A backfill in file order could record a stack's CloudFormation events before the Git sync
/// event that makes the stack tracked, and those would be skipped.
fn in_time_order(events: &mut [InputEvent]) {
    #[derive(serde::Deserialize)]
    struct Time {
        time: Option<chrono::DateTime<chrono::Utc>>,
    }
    events.sort_by_cached_key(|event| {
        let bytes = event.bytes.as_ref().ok()?;
        serde_json::from_slice::<Time>(bytes).ok()?.time
    });
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_dir() {
        files.push(path.to_owned());
        return Ok(());
    }
    for entry in std::fs::read_dir(path).with_context(|| format!("listing {}", path.display()))? {
        let path = entry?.path();
        let is_event_file = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "json" | "jsonl" | "ndjson"));
        if path.is_dir() || is_event_file {
            collect(&path, files)?;
        }
    }
    Ok(())
}

/// Splits a file's text into events: the whole text if it is one JSON value, else one per
/// non-empty line (JSON Lines). Lambda on-failure destination records are unwrapped to the
/// original event.
///
/// A file whose first line is not a JSON object is not JSON Lines: it is one document with a
/// syntax error, reported once where the parser stopped (line and column), not once per line.
pub fn split(origin: &str, text: &str) -> Vec<InputEvent> {
    let whole_error = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => {
            return vec![InputEvent { origin: origin.to_owned(), bytes: Ok(unwrap(value, text)) }];
        }
        Err(error) => error,
    };
    let first_line_is_an_object = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .and_then(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .is_some_and(|value| value.is_object());
    if !first_line_is_an_object {
        return vec![InputEvent {
            origin: origin.to_owned(),
            bytes: Err(EventError::Syntax {
                message: format!("{whole_error} (neither one JSON document nor JSON Lines)"),
            }),
        }];
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| InputEvent {
            origin: format!("{origin}:{}", i + 1),
            bytes: match serde_json::from_str::<serde_json::Value>(line) {
                Ok(value) => Ok(unwrap(value, line)),
                Err(error) => Err(EventError::Syntax { message: error.to_string() }),
            },
        })
        .collect()
}

/// A Lambda on-failure record carries the event as `requestPayload`.
fn unwrap(value: serde_json::Value, text: &str) -> Vec<u8> {
    match value.get("requestPayload") {
        Some(payload) if value.get("requestContext").is_some() => payload.to_string().into_bytes(),
        _ => text.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_object_per_file_or_per_line() {
        assert_eq!(split("a.json", "{\n  \"id\": 1\n}\n").len(), 1);
        let lines = split("a.jsonl", "{\"id\":1}\n\n{\"id\":2}\nnot json\n");
        assert_eq!(
            lines.iter().map(|e| e.origin.as_str()).collect::<Vec<_>>(),
            ["a.jsonl:1", "a.jsonl:3", "a.jsonl:4"]
        );
        assert!(lines[2].bytes.as_ref().unwrap_err().to_string().contains("not valid JSON"));
    }

    #[test]
    fn a_broken_document_is_one_error_at_its_line_and_column() {
        let text = "{\n  \"id\": \"a\",\n  \"source\": \"aws.codepipeline\"\n  \"time\": 1\n}\n";
        let events = split("broken.json", text);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].origin, "broken.json");
        let error = events[0].bytes.as_ref().unwrap_err().to_string();
        assert!(error.contains("line 4 column 3"), "{error}");
    }

    #[test]
    fn events_are_replayed_in_the_order_they_happened() {
        let text = "{\"id\":\"b\",\"time\":\"2026-11-20T09:00:02Z\"}\n\
                    {\"id\":\"c\",\"time\":\"2026-11-20T09:00:03Z\"}\n\
                    {\"id\":\"a\",\"time\":\"2026-11-20T09:00:01Z\"}\n\
                    not json\n";
        let mut events = split("x.jsonl", text);
        in_time_order(&mut events);
        let origins: Vec<&str> = events.iter().map(|e| e.origin.as_str()).collect();
        assert_eq!(origins, ["x.jsonl:4", "x.jsonl:3", "x.jsonl:1", "x.jsonl:2"]);
    }

    #[test]
    fn on_failure_records_are_unwrapped() {
        let record = r#"{"version":"1.0","requestContext":{"condition":"RetriesExhausted"},
            "requestPayload":{"id":"abc","source":"aws.codepipeline"},"responsePayload":{}}"#;
        let events = split("dlq.json", record);
        let bytes = events[0].bytes.as_ref().unwrap();
        let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        assert_eq!(value["id"], "abc");
    }
}
