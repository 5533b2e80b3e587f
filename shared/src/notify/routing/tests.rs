use super::*;
use crate::notify::notice::{NoticeKind, Severity};

const CONFIG: &str = r#"{
  "channels": {
    "ops": {"type": "slack_webhook", "secret": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:ops"},
    "platform": {"type": "slack_bot", "secret": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:bot", "channel": "C0123"},
    "pager": {"type": "sns", "topic_arn": "arn:aws:sns:eu-west-1:111122223333:syncwarden"}
  },
  "routes": [
    {"resources": ["stack/payments-*"], "branches": ["main", "release/*"], "channels": ["platform"]},
    {"events": ["blocker_active", "sync_stuck"], "accounts": ["111122223333"], "channels": ["pager"]}
  ],
  "default": ["ops"],
  "authors": {"alice@example.com": "U0ALICE"}
}"#;

fn notice(resource: &str, branch: Option<&str>, event_type: EventType) -> Notice {
    let at = chrono::Utc::now();
    Notice {
        incident_id: "i".into(),
        transition_id: "t".into(),
        kind: NoticeKind::Opened,
        event_type,
        severity: Severity::Critical,
        resource: resource.parse().unwrap(),
        headline: String::new(),
        change: String::new(),
        state: String::new(),
        detail: None,
        commit: None,
        commit_url: None,
        branch: branch.map(str::to_owned),
        repository: None,
        blocker: None,
        links: Vec::new(),
        account: Some("111122223333".into()),
        region: None,
        at,
        opened_at: at,
        outage: None,
        fixed_by: None,
        author: None,
        mention: None,
    }
}

fn names(routing: &Routing, n: &Notice) -> Vec<String> {
    routing.channels_for(n).into_iter().map(|(name, _)| name.to_owned()).collect()
}

#[test]
fn routes_match_by_resource_branch_event_and_account_else_default() {
    let routing = Routing::parse(CONFIG).unwrap();
    assert_eq!(
        names(&routing, &notice("stack/payments-api", Some("main"), EventType::SyncFailed)),
        ["platform"]
    );
    assert_eq!(
        names(
            &routing,
            &notice("stack/payments-api", Some("release/2026"), EventType::BlockerActive)
        ),
        ["pager", "platform"]
    );
    assert_eq!(
        names(&routing, &notice("stack/payments-api", Some("dev"), EventType::SyncFailed)),
        ["ops"]
    );
    assert_eq!(names(&routing, &notice("pipeline/x", None, EventType::SyncStuck)), ["pager"]);
    assert_eq!(names(&routing, &notice("pipeline/x", None, EventType::PipelineFailed)), ["ops"]);
    assert_eq!(routing.mention("alice@example.com").as_deref(), Some("<@U0ALICE>"));
}

#[test]
fn bad_configurations_say_what_is_wrong() {
    let unknown = CONFIG.replace(r#""channels": ["pager"]"#, r#""channels": ["pagr"]"#);
    assert_eq!(
        Routing::parse(&unknown).unwrap_err().to_string(),
        "route #2 sends to channel `pagr`, which `channels` does not define"
    );
    let glob = CONFIG.replace("stack/payments-*", "stack/[payments");
    assert!(
        Routing::parse(&glob)
            .unwrap_err()
            .to_string()
            .starts_with("route #1: `stack/[payments` is not a valid glob")
    );
    let typo = CONFIG.replace(r#""type": "sns""#, r#""type": "sms""#);
    assert!(
        Routing::parse(&typo).unwrap_err().to_string().contains("channels.pager"),
        "{}",
        Routing::parse(&typo).unwrap_err()
    );
    let event = CONFIG.replace("sync_stuck", "sync_stuk");
    assert!(Routing::parse(&event).unwrap_err().to_string().contains("routes[1].events[1]"));
    assert_eq!(Routing::parse(r#"{"channels": {}}"#).unwrap_err(), RoutingError::Empty);
}
