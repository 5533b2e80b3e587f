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

const OPS_ARN: &str = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:ops-AbC123";
const BOT_ARN: &str = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:bot-XyZ789";
const PAGER_ARN: &str = "arn:aws:sns:eu-west-1:111122223333:syncwarden";

#[test]
fn routes_naming_only_granted_secrets_and_topics_pass_the_startup_check() {
    let routing = Routing::parse(CONFIG).unwrap();
    // CONFIG names the secrets without their suffix (GetSecretValue accepts that); the
    // template grants complete ARNs.
    let grants = Grants::parse(&format!("{OPS_ARN},,{BOT_ARN}"), &format!(",{PAGER_ARN}"));
    assert_eq!(routing.check_grants(&grants), Ok(()));
}

#[test]
fn a_route_naming_an_ungranted_secret_or_topic_names_the_parameter_to_set() {
    let routing = Routing::parse(CONFIG).unwrap();
    let error = routing.check_grants(&Grants::parse(OPS_ARN, "")).unwrap_err();
    assert_eq!(
        error,
        RoutingError::NotGranted(vec![
            Ungranted::Topic { channel: "pager".into(), topic: PAGER_ARN.into() },
            Ungranted::Secret {
                channel: "platform".into(),
                secret: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:bot".into(),
            },
        ])
    );
    let message = error.to_string();
    assert!(message.contains("NotifyRouteSecretArns"), "{message}");
    assert!(message.contains("NotifyRouteTopicArns"), "{message}");
    assert!(message.contains("channel `platform`"), "{message}");
}

#[test]
fn a_granted_secret_matches_only_itself_or_its_name_without_the_suffix() {
    let grants = Grants::parse(OPS_ARN, "");
    assert!(grants.allows_secret(OPS_ARN));
    assert!(grants.allows_secret("arn:aws:secretsmanager:eu-west-1:111122223333:secret:ops"));
    // A prefix that is not the whole name, another account, a bare name: not granted.
    assert!(!grants.allows_secret("arn:aws:secretsmanager:eu-west-1:111122223333:secret:op"));
    assert!(!grants.allows_secret("arn:aws:secretsmanager:eu-west-1:999999999999:secret:ops"));
    assert!(!grants.allows_secret("ops"));
    assert!(!grants.allows_secret(""));
    // Nothing granted (every parameter left empty) allows nothing.
    let none = Grants::parse(" , ,", "");
    assert_eq!(none, Grants::default());
    assert!(!none.allows_secret(OPS_ARN) && !none.allows_topic(PAGER_ARN));
}
