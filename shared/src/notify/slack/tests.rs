use chrono::{Duration, TimeZone, Utc};
use insta::assert_json_snapshot;
use serde_json::Value;

use super::*;
use crate::ids::{PipelineName, ResourceId, StackName};
use crate::notify::EventType;
use crate::notify::notice::{BlockerNotice, Link};
use crate::observation::BlockerContext;

const SHA: &str = "9f2c1e0b7d4a4c3e8b1f6a5d2c9e0f1a2b3c4d5e";
const FIX: &str = "4b8d2f6a1c3e5d7f9a0b2c4d6e8f0a1b3c5d7e9f";

/// An Opened Git sync failure of `payments-api` with a commit link and a console link.
fn opened() -> Notice {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 10, 16, 2).unwrap();
    Notice {
        incident_id: "stack/payments-api#2026-03-02T10:16:02Z".into(),
        transition_id: "stack/payments-api#2026-03-02T10:16:02Z#1".into(),
        kind: NoticeKind::Opened,
        event_type: EventType::SyncFailed,
        severity: Severity::Critical,
        resource: ResourceId::Stack(StackName::new("payments-api").unwrap()),
        headline: "Git sync failed: payments-api".into(),
        change: "git sync IN_PROGRESS → FAILED".into(),
        state: "git sync FAILED · stack UPDATE_ROLLBACK_COMPLETE".into(),
        detail: None,
        commit: Some(SHA.into()),
        commit_url: Some(format!("https://github.com/acme/infra-repo/commit/{SHA}")),
        branch: Some("main".into()),
        repository: Some("acme/infra-repo".into()),
        blocker: None,
        links: vec![Link {
            label: "Open in console".into(),
            url: "https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks".into(),
        }],
        account: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
        at,
        opened_at: at,
        outage: None,
        fixed_by: None,
        author: None,
        mention: Some("<@U0123ABCD>".into()),
    }
}

fn blocked() -> Notice {
    Notice {
        kind: NoticeKind::Updated,
        event_type: EventType::BlockerActive,
        transition_id: "stack/payments-api#2026-03-02T10:16:02Z#2".into(),
        headline: "Git sync blocked: payments-api".into(),
        change: "blocker opened".into(),
        state: "git sync FAILED · blocker ACTIVE".into(),
        at: Utc.with_ymd_and_hms(2026, 3, 2, 10, 20, 0).unwrap(),
        blocker: Some(BlockerNotice {
            id: "ARN-blocker-1".into(),
            reason: Some("Stack is in UPDATE_ROLLBACK_FAILED".into()),
            contexts: vec![
                BlockerContext { key: "StackName".into(), value: "payments-api".into() },
                BlockerContext { key: "FailedResource".into(), value: "Bucket".into() },
            ],
        }),
        author: None,
        mention: None,
        ..opened()
    }
}

fn resolved() -> Notice {
    Notice {
        kind: NoticeKind::Resolved,
        event_type: EventType::Recovered,
        severity: Severity::Info,
        transition_id: "stack/payments-api#2026-03-02T10:16:02Z#3".into(),
        headline: "Recovered: payments-api".into(),
        change: "git sync FAILED → SUCCEEDED".into(),
        state: "git sync SUCCEEDED · stack UPDATE_COMPLETE".into(),
        commit: Some(FIX.into()),
        commit_url: Some(format!("https://github.com/acme/infra-repo/commit/{FIX}")),
        at: Utc.with_ymd_and_hms(2026, 3, 2, 11, 28, 2).unwrap(),
        outage: Some(Duration::minutes(72)),
        fixed_by: Some(FIX.into()),
        author: None,
        mention: None,
        ..opened()
    }
}

fn pipeline_failed() -> Notice {
    Notice {
        incident_id: "pipeline/deploy-payments#2026-03-02T09:00:00Z".into(),
        transition_id: "pipeline/deploy-payments#2026-03-02T09:00:00Z#1".into(),
        event_type: EventType::PipelineFailed,
        resource: ResourceId::Pipeline(PipelineName::new("deploy-payments").unwrap()),
        headline: "Pipeline failed: deploy-payments".into(),
        change: "pipeline STARTED → FAILED".into(),
        state: "pipeline FAILED".into(),
        detail: Some("Stage Deploy, action CreateChangeSet: JobFailed (exit code 1)".into()),
        commit: None,
        commit_url: None,
        branch: None,
        repository: None,
        author: None,
        mention: None,
        links: vec![Link {
            label: "Execution".into(),
            url: "https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/deploy-payments/executions/1/timeline".into(),
        }],
        ..opened()
    }
}

#[test]
fn an_opened_git_sync_failure_links_the_commit_and_the_console() {
    let message = message(&opened());
    assert_eq!(message["text"], ":red_circle: Git sync failed: payments-api (main @ 9f2c1e0)");
    assert_json_snapshot!(message);
}

#[test]
fn a_blocker_shows_its_reason_and_contexts() {
    let message = message(&blocked());
    let text = message["blocks"][2]["text"]["text"].as_str().unwrap();
    assert!(text.contains("• StackName: payments-api\n• FailedResource: Bucket"), "{text}");
    assert_json_snapshot!(message);
}

#[test]
fn a_recovery_says_how_long_it_was_red_and_what_fixed_it() {
    let message = message(&resolved());
    assert_eq!(
        message["text"],
        ":large_green_circle: Recovered: payments-api after 1h 12m (fixed by 4b8d2f6)"
    );
    assert_json_snapshot!(message);
}

#[test]
fn a_pipeline_failure_shows_the_detail() {
    assert_json_snapshot!(message(&pipeline_failed()));
}

#[test]
fn the_root_message_is_red_while_open_and_green_with_the_outage_once_resolved() {
    let open = root(&opened(), true);
    assert!(open["text"].as_str().unwrap().starts_with(":red_circle:"));
    assert!(!open.to_string().contains("U0123ABCD"), "edits never mention");
    assert_json_snapshot!("root_open", open);
    let closed = root(&resolved(), false);
    assert!(closed["text"].as_str().unwrap().contains("after 1h 12m"));
    assert_json_snapshot!("root_resolved", closed);
}

#[test]
fn mrkdwn_control_characters_in_aws_text_are_escaped() {
    let notice = Notice {
        detail: Some("Template error: <Bucket> & <Policy> are invalid".into()),
        state: "a < b & c > d".into(),
        headline: "Git sync failed: a<b>&c".into(),
        ..opened()
    };
    let message = message(&notice);
    let json = message.to_string();
    assert!(json.contains("&lt;Bucket&gt; &amp; &lt;Policy&gt;"), "{json}");
    assert!(!json.contains("<Bucket>"), "{json}");
    assert_eq!(message["text"], ":red_circle: Git sync failed: a&lt;b&gt;&amp;c (main @ 9f2c1e0)");
    // Header text is plain_text: shown literally, so not escaped.
    assert_eq!(message["blocks"][0]["text"]["text"], ":red_circle: Git sync failed: a<b>&c");
    assert_json_snapshot!(message);
}

/// Every text in `message` within Block Kit's limits.
fn assert_within_limits(message: &Value) {
    let chars = |v: &Value| v.as_str().unwrap().chars().count();
    assert!(chars(&message["text"]) <= TEXT_MAX);
    let blocks = message["blocks"].as_array().unwrap();
    assert!(blocks.len() <= BLOCKS_MAX);
    for block in blocks {
        match block["type"].as_str().unwrap() {
            "header" => assert!(chars(&block["text"]["text"]) <= HEADER_MAX),
            "section" => {
                if let Some(text) = block.get("text") {
                    assert!(chars(&text["text"]) <= SECTION_TEXT_MAX);
                }
                if let Some(fields) = block.get("fields") {
                    let fields = fields.as_array().unwrap();
                    assert!(fields.len() <= FIELDS_MAX);
                    for field in fields {
                        assert!(chars(&field["text"]) <= FIELD_MAX);
                    }
                }
            }
            "actions" => {
                let elements = block["elements"].as_array().unwrap();
                assert!(elements.len() <= BUTTONS_MAX);
                for button in elements {
                    assert!(chars(&button["text"]["text"]) <= BUTTON_TEXT_MAX);
                    assert!(chars(&button["url"]) <= BUTTON_URL_MAX);
                }
            }
            "context" => {
                for element in block["elements"].as_array().unwrap() {
                    assert!(chars(&element["text"]) <= SECTION_TEXT_MAX);
                }
            }
            other => panic!("unexpected block type {other}"),
        }
    }
}

#[test]
fn ten_thousand_character_fields_stay_within_block_kit_limits() {
    // Multi-byte characters and `&` make any byte-wise or entity-splitting cut visible.
    let long = |c: &str| c.repeat(10_000);
    let notice = Notice {
        headline: long("é"),
        change: long("&"),
        state: long("ß"),
        detail: Some(long("<")),
        branch: Some(long("b")),
        repository: Some(long("r")),
        commit_url: Some(format!("https://example.com/{}", long("c"))),
        blocker: Some(BlockerNotice {
            id: "b1".into(),
            reason: Some(long("🦀")),
            contexts: (0..100)
                .map(|i| BlockerContext { key: format!("k{i}"), value: long("v") })
                .collect(),
        }),
        links: (0..40)
            .map(|i| Link { label: long("l"), url: format!("https://example.com/{i}") })
            .collect(),
        ..opened()
    };
    for message in [message(&notice), root(&notice, true)] {
        assert_within_limits(&message);
        let json = message.to_string();
        assert!(!json.contains("&am…") && !json.contains("&a…") && !json.contains("&…"));
    }
    let message = message(&notice);
    assert_json_snapshot!(message);
}

#[test]
fn clipping_counts_characters_and_keeps_entities_whole() {
    assert_eq!(clip("abc", 3), "abc");
    assert_eq!(clip("abcd", 3), "ab…");
    assert_eq!(clip("ééé", 2), "é…");
    assert_eq!(clip("a&amp;b", 4), "a…");
    assert_eq!(clip("a&amp;b", 7), "a&amp;b");
    assert_eq!(clip("ab&amp;", 7), "ab&amp;");
    assert_eq!(crate::text::clip("🦀🦀🦀", 2), "🦀…");
}

#[test]
fn unsafe_urls_are_not_linked() {
    assert_eq!(commit_ref(SHA, Some("javascript:alert(1)")), "`9f2c1e0`");
    assert_eq!(commit_ref(SHA, Some("https://x.test/a|b")), "`9f2c1e0`");
    assert_eq!(
        commit_ref(SHA, Some("https://x.test/?a=1&b=2")),
        "<https://x.test/?a=1&amp;b=2|9f2c1e0>"
    );
}

#[test]
fn only_slack_mentions_pass_unescaped() {
    assert_eq!(mention_text("<@U0123ABCD>"), "<@U0123ABCD>");
    assert_eq!(mention_text("<!subteam^S1>"), "<!subteam^S1>");
    assert_eq!(mention_text("alice <b>"), "alice &lt;b&gt;");
}
