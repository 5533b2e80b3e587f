use super::*;
use crate::ids::ResourceId;
use crate::observation::{Change, Observation};
use crate::status::{PipelineState, StackStatus, SyncStatus};

const RESOURCE_SYNC: &str = r#"{
  "version": "0", "id": "0c5e9a61-7d2f-4b8e-a1c3-5f6e7d8c9b0a",
  "detail-type": "Git Sync Resource Sync Status Change", "source": "aws.codeconnections",
  "account": "111122223333", "time": "2026-03-02T10:16:02Z", "region": "eu-west-1",
  "resources": ["arn:aws:cloudformation:eu-west-1:111122223333:stack/my-stack"],
  "detail": {
    "providerType": "GitHub", "commit": "9f2c1e0b7d4a4c3e8b1f6a5d2c9e0f1a2b3c4d5e",
    "repositoryName": "infra-repo", "branch": "main", "syncType": "CFN_STACK_SYNC",
    "syncTarget": "arn:aws:cloudformation:eu-west-1:111122223333:stack/my-stack",
    "status": "FAILED", "previousStatus": "IN_PROGRESS"
  }
}"#;

fn with(base: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut value: serde_json::Value = serde_json::from_str(base).unwrap();
    edit(&mut value);
    serde_json::to_vec(&value).unwrap()
}

fn err(bytes: &[u8], accepted: &[EventFamily]) -> String {
    parse_event(bytes, accepted).unwrap_err().to_string()
}

/// The observation an event recorded by every handler becomes.
fn observed(bytes: &[u8]) -> Observation {
    observed_by(bytes, EventFamily::ALL)
}

fn observed_by(bytes: &[u8], accepted: &[EventFamily]) -> Observation {
    match parse_event(bytes, accepted) {
        Ok(Parsed::Observed(observation)) => observation,
        other => panic!("expected an observation, got {other:?}"),
    }
}

fn ignored(bytes: &[u8], accepted: &[EventFamily]) -> Ignored {
    match parse_event(bytes, accepted) {
        Ok(Parsed::Ignored(ignored)) => ignored,
        other => panic!("expected the event to be ignored, got {other:?}"),
    }
}

#[test]
fn resource_sync_event_becomes_a_stack_observation() {
    let obs = observed(RESOURCE_SYNC.as_bytes());
    assert_eq!(obs.resource, "stack/my-stack".parse::<ResourceId>().unwrap());
    assert_eq!(
        obs.change,
        Change::GitSync {
            status: SyncStatus::Failed,
            previous: Some(SyncStatus::InProgress),
            provider: Some("GitHub".into()),
            stuck_since: None,
        }
    );
    assert_eq!(obs.commit.unwrap().short(), "9f2c1e0");
    assert_eq!(obs.branch.unwrap().as_str(), "main");
    assert_eq!(obs.repository.as_deref(), Some("infra-repo"));
    assert_eq!(obs.event_id.as_str(), "0c5e9a61-7d2f-4b8e-a1c3-5f6e7d8c9b0a");
}

#[test]
fn both_detail_type_spellings_and_both_previous_keys_parse_the_same() {
    let base = observed(RESOURCE_SYNC.as_bytes());
    let variant = with(RESOURCE_SYNC, |v| {
        v["detail-type"] = "GitSync Resource Sync Status Change".into();
        let detail = v["detail"].as_object_mut().unwrap();
        let previous = detail.remove("previousStatus").unwrap();
        detail.insert("previousSync".into(), previous);
    });
    assert_eq!(observed(&variant), base);
}

#[test]
fn sync_target_may_be_a_bare_stack_name() {
    let bytes = with(RESOURCE_SYNC, |v| v["detail"]["syncTarget"] = "my-stack".into());
    let obs = observed(&bytes);
    assert_eq!(obs.resource.to_string(), "stack/my-stack");
}

#[test]
fn a_status_aws_adds_later_is_kept_not_rejected() {
    let bytes = with(RESOURCE_SYNC, |v| v["detail"]["status"] = "PAUSED".into());
    let obs = observed(&bytes);
    assert_eq!(obs.change.status(), "PAUSED");
    assert!(matches!(obs.change, Change::GitSync { status: SyncStatus::Unknown(_), .. }));
}

#[test]
fn repository_event_is_keyed_by_link_and_branch() {
    let bytes = with(RESOURCE_SYNC, |v| {
        v["detail-type"] = "GitSync Repository Sync Status Change".into();
        let d = &mut v["detail"];
        d["repositoryLinkId"] = "550e8400-e29b-41d4-a716-446655440000".into();
        d["ownerId"] = "acme".into();
        d["status"] = "SUCCEEDED".into();
    });
    let obs = observed(&bytes);
    assert_eq!(obs.resource.to_string(), "repository/550e8400-e29b-41d4-a716-446655440000@main");
    assert_eq!(obs.repository.as_deref(), Some("acme/infra-repo"));
}

#[test]
fn stack_status_event_names_the_stack_and_keeps_the_reason() {
    let bytes = br#"{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718",
      "detail-type":"CloudFormation Stack Status Change","source":"aws.cloudformation",
      "account":"111122223333","time":"2026-03-02T10:20:11Z","region":"eu-west-1",
      "resources":["arn:aws:cloudformation:eu-west-1:111122223333:stack/my-stack/5f0e0d60-1a2b-11ef-9c3d-0a1b2c3d4e5f"],
      "detail":{"stack-id":"arn:aws:cloudformation:eu-west-1:111122223333:stack/my-stack/5f0e0d60-1a2b-11ef-9c3d-0a1b2c3d4e5f",
        "status-details":{"status":"UPDATE_ROLLBACK_COMPLETE","status-reason":"The following resource(s) failed to update: [Bucket]."},
        "client-request-token":""}}"#;
    let obs = observed(bytes);
    assert_eq!(obs.resource.to_string(), "stack/my-stack");
    let Change::Stack { status, reason, .. } = obs.change else { panic!("{:?}", obs.change) };
    assert_eq!(status, StackStatus::UpdateRollbackComplete);
    assert_eq!(reason.as_deref(), Some("The following resource(s) failed to update: [Bucket]."));
}

#[test]
fn pipeline_events_with_float_versions_and_string_type_version_parse() {
    let bytes = br#"{"version":"0","id":"01234567-EXAMPLE",
      "detail-type":"CodePipeline Action Execution State Change","source":"aws.codepipeline",
      "account":"123456789012","time":"2026-03-02T10:25:43Z","region":"us-west-2",
      "resources":["arn:aws:codepipeline:us-west-2:123456789012:myPipeline"],
      "detail":{"pipeline":"myPipeline","execution-id":"12345678-1234-5678-abcd-12345678abcd",
        "start-time":"2026-03-02T10:21:09.981Z","stage":"Deploy",
        "execution-result":{"external-execution-url":"https://example.com/d-ABC",
          "external-execution-summary":"Deployment d-ABC failed","external-execution-id":"d-ABC","error-code":"JobFailed"},
        "action-execution-id":"47f821c5-a902-44b2-ae61-b878d31ecd21","action":"Deploy","state":"FAILED",
        "region":"us-west-2","type":{"owner":"AWS","provider":"CodeDeploy","category":"Deploy","version":"1"},
        "version":4.0,"pipeline-execution-attempt":1.0}}"#;
    let obs = observed_by(bytes, &[EventFamily::CodePipeline]);
    assert_eq!(obs.resource.to_string(), "pipeline/myPipeline");
    let Change::PipelineAction { state, stage, action, error_code, provider, .. } = &obs.change
    else {
        panic!("{:?}", obs.change)
    };
    assert_eq!(
        (state, stage.as_str(), action.as_str()),
        (&PipelineState::Failed, "Deploy", "Deploy")
    );
    assert_eq!(
        (error_code.as_deref(), provider.as_deref()),
        (Some("JobFailed"), Some("CodeDeploy"))
    );
    assert_eq!(obs.change.note().as_deref(), Some("JobFailed: Deployment d-ABC failed"));
}

#[test]
fn a_family_the_handler_does_not_take_is_ignored_with_the_reason() {
    let skipped = ignored(RESOURCE_SYNC.as_bytes(), &[EventFamily::CodePipeline]);
    assert_eq!(skipped.source, "aws.codeconnections");
    assert_eq!(
        skipped.reason,
        "this handler records aws.codepipeline execution state changes; aws.codeconnections Git \
         sync status changes go to another function"
    );
    let other = with(RESOURCE_SYNC, |v| {
        v["source"] = "aws.ec2".into();
        v["detail-type"] = "EC2 Instance State-change Notification".into();
    });
    let skipped = ignored(&other, EventFamily::ALL);
    assert_eq!(skipped.event_id.as_deref(), Some("0c5e9a61-7d2f-4b8e-a1c3-5f6e7d8c9b0a"));
    assert_eq!(
        skipped.reason,
        "`EC2 Instance State-change Notification` from `aws.ec2` is not an event syncwarden tracks"
    );
}

#[test]
fn detail_types_of_our_sources_we_do_not_track_are_ignored() {
    for (source, detail_type) in [
        ("aws.cloudformation", "CloudFormation Resource Status Change"),
        ("aws.cloudformation", "CloudFormation StackSet Status Change"),
        ("aws.cloudformation", "CloudFormation Drift Detection Status Change"),
        ("aws.codeconnections", "AWS API Call via CloudTrail"),
        ("aws.codepipeline", "CodePipeline Webhook Registered"),
    ] {
        // Their detail is not read at all: an odd one must not matter.
        let bytes = with(RESOURCE_SYNC, |v| {
            v["source"] = source.into();
            v["detail-type"] = detail_type.into();
            v["detail"] = "String Message".into();
        });
        assert_eq!(ignored(&bytes, EventFamily::ALL).detail_type, detail_type);
    }
}

#[test]
fn fields_that_do_not_identify_the_event_are_kept_whatever_their_shape() {
    let bytes = with(RESOURCE_SYNC, |v| {
        v["version"] = 0.into();
        v["account"] = 123.into();
        v["id"] = "01234567-EXAMPLE".into();
        v["resources"] = serde_json::json!(["string", 1, null]);
        v["extra"] = serde_json::json!({"anything": [1, 2]});
        let d = &mut v["detail"];
        d["commit"] = "sample-commit-id".into();
        d["providerType"] = serde_json::json!({"name": "GitHub"});
        d["previousStatus"] = 7.into();
        d["repositoryName"] = serde_json::Value::Null;
        d["somethingNew"] = true.into();
    });
    let obs = observed(&bytes);
    assert_eq!(obs.resource.to_string(), "stack/my-stack");
    assert_eq!(obs.commit.as_ref().map(|c| c.as_str()), Some("sample-commit-id"));
    // Shown as is: a prefix of an opaque revision means nothing.
    assert_eq!(obs.commit.as_ref().map(|c| c.short()), Some("sample-commit-id"));
    assert_eq!(obs.account.as_deref(), Some("123"));
    assert_eq!(obs.event_id.as_str(), "01234567-EXAMPLE");
    let Change::GitSync { status, previous, provider, .. } = &obs.change else {
        panic!("{:?}", obs.change)
    };
    assert_eq!(status, &SyncStatus::Failed);
    assert_eq!(previous, &Some(SyncStatus::Unknown("7".into())));
    assert_eq!(provider, &None);
}

#[test]
fn revisions_that_are_not_sha1_hex_are_recorded_as_sent() {
    let sha256 = "5f0e".repeat(16);
    for revision in [sha256.as_str(), "sample-commit-id", "3e8d2c1b-version-id", "`commit_ID`"] {
        let bytes = with(RESOURCE_SYNC, |v| v["detail"]["commit"] = revision.into());
        assert_eq!(observed(&bytes).commit.unwrap().as_str(), revision);
    }
    assert_eq!(
        observed(&with(RESOURCE_SYNC, |v| v["detail"]["commit"] = sha256.clone().into()))
            .commit
            .unwrap()
            .short(),
        "5f0e5f0"
    );
}

#[test]
fn repository_links_that_are_not_uuids_are_kept() {
    let bytes = with(RESOURCE_SYNC, |v| {
        v["detail-type"] = "GitSync Repository Sync Status Change".into();
        v["detail"]["repositoryLinkId"] = "1b5d8feb-agbv-4d3a".into();
    });
    assert_eq!(observed(&bytes).resource.to_string(), "repository/1b5d8feb-agbv-4d3a@main");
}

#[test]
fn the_documented_alias_statuses_are_the_model_statuses() {
    for (alias, status) in [("SYNCED", SyncStatus::Succeeded), ("SYNC_FAILED", SyncStatus::Failed)]
    {
        let bytes = with(RESOURCE_SYNC, |v| v["detail"]["status"] = alias.into());
        let obs = observed(&bytes);
        assert!(
            matches!(&obs.change, Change::GitSync { status: s, .. } if *s == status),
            "{alias}"
        );
    }
}

#[test]
fn input_that_is_not_an_eventbridge_event_says_what_it_looks_like() {
    let sqs = br#"{"Records":[{"messageId":"1","body":"{}","eventSource":"aws:sqs"}]}"#;
    assert!(
        err(sqs, EventFamily::ALL)
            .starts_with("not an EventBridge event: this looks like an SQS batch")
    );
    let codestar = br#"{"account":"123456789012","detailType":"CodePipeline Pipeline Execution State Change",
        "region":"us-east-1","source":"aws.codepipeline","time":"2026-03-02T10:25:43Z",
        "notificationRuleArn":"arn:aws:codestar-notifications:us-east-1:123456789012:notificationrule/x",
        "detail":{"pipeline":"p","execution-id":"e","state":"FAILED"}}"#;
    assert!(err(codestar, EventFamily::ALL).contains("CodeStar Notifications"));
}

#[test]
fn malformed_events_say_which_field_is_wrong() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not json".to_vec(), "not valid JSON: expected ident at line 1 column 2"),
        (b"[]".to_vec(), "not an EventBridge event: this looks like a JSON array"),
        (
            with(RESOURCE_SYNC, |v| {
                v.as_object_mut().unwrap().remove("detail-type");
            }),
            "without `source` and `detail-type`",
        ),
        (
            with(RESOURCE_SYNC, |v| {
                v.as_object_mut().unwrap().remove("id");
            }),
            "missing field `id`",
        ),
        (
            with(RESOURCE_SYNC, |v| {
                v.as_object_mut().unwrap().remove("time");
            }),
            "missing field `time`",
        ),
        (with(RESOURCE_SYNC, |v| v["time"] = "yesterday".into()), "time: `yesterday` is not"),
        (
            with(RESOURCE_SYNC, |v| {
                v["detail"].as_object_mut().unwrap().remove("status");
            }),
            "detail.status: missing",
        ),
        (
            with(RESOURCE_SYNC, |v| v["detail"]["status"] = 3.into()),
            "detail.status: invalid type: integer `3`",
        ),
        (
            with(RESOURCE_SYNC, |v| {
                v["detail"].as_object_mut().unwrap().remove("branch");
            }),
            "detail.branch: missing",
        ),
        (
            with(RESOURCE_SYNC, |v| {
                v["detail"]["syncTarget"] = "".into();
                v["resources"] = serde_json::json!([]);
            }),
            "detail.syncTarget: missing",
        ),
        (
            with(RESOURCE_SYNC, |v| v["detail"]["syncTarget"] = "my_stack".into()),
            "detail.syncTarget: stack name `my_stack`",
        ),
        (with(RESOURCE_SYNC, |v| v["detail"] = "x".into()), "detail: invalid type: string"),
        (
            with(RESOURCE_SYNC, |v| {
                v.as_object_mut().unwrap().remove("detail");
            }),
            "detail: missing",
        ),
    ];
    for (bytes, expected) in cases {
        let message = err(&bytes, EventFamily::ALL);
        assert!(message.contains(expected), "expected `{expected}` in `{message}`");
    }
}

#[test]
fn detail_errors_name_the_event() {
    let bytes = with(RESOURCE_SYNC, |v| {
        v["detail"].as_object_mut().unwrap().remove("status");
    });
    assert_eq!(
        err(&bytes, EventFamily::ALL),
        "`Git Sync Resource Sync Status Change` event 0c5e9a61-7d2f-4b8e-a1c3-5f6e7d8c9b0a: \
         detail.status: missing"
    );
}

proptest::proptest! {
    /// No input, however broken, panics the parser.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        let _ = parse_event(&bytes, EventFamily::ALL);
    }

    /// Arbitrary JSON values in every detail field are an error or an observation, never a panic.
    #[test]
    fn arbitrary_detail_values_never_panic(
        field in proptest::sample::select(vec!["status", "commit", "branch", "syncTarget", "previousStatus", "repositoryName"]),
        value in proptest::prop_oneof![
            proptest::strategy::Just(serde_json::Value::Null),
            proptest::num::i64::ANY.prop_map(serde_json::Value::from),
            ".{0,40}".prop_map(serde_json::Value::from),
        ],
    ) {
        let bytes = with(RESOURCE_SYNC, |v| v["detail"][field] = value);
        let _ = parse_event(&bytes, EventFamily::ALL);
    }
}
use proptest::strategy::Strategy;

/// The published corpus (`tests/fixtures/published/`), each event with the JSON pointer of
/// every node in it: the material the structure-aware fuzz below mutates.
fn published() -> &'static [(serde_json::Value, Vec<String>)] {
    static CORPUS: std::sync::LazyLock<Vec<(serde_json::Value, Vec<String>)>> =
        std::sync::LazyLock::new(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/published");
            let mut corpus = Vec::new();
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if !name.ends_with(".json") || name == "expected.json" {
                    continue;
                }
                let value: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                let mut pointers = Vec::new();
                collect_pointers(&value, String::new(), &mut pointers);
                corpus.push((value, pointers));
            }
            corpus.sort_by_key(|(value, _)| value.to_string());
            corpus
        });
    &CORPUS
}

fn collect_pointers(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                collect_pointers(child, format!("{at}/{key}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn any_json() -> impl Strategy<Value = Option<serde_json::Value>> {
    use serde_json::{Value, json};
    proptest::prop_oneof![
        proptest::strategy::Just(None), // remove the node
        proptest::strategy::Just(Some(Value::Null)),
        proptest::num::i64::ANY.prop_map(|n| Some(Value::from(n))),
        proptest::num::f64::NORMAL.prop_map(|n| Some(json!(n))),
        proptest::bool::ANY.prop_map(|b| Some(Value::from(b))),
        "\\PC{0,24}".prop_map(|s| Some(Value::from(s))),
        proptest::strategy::Just(Some(json!({"nested": [1, "x", null]}))),
        proptest::strategy::Just(Some(json!([]))),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(2_000),
        ..Default::default()
    })]

    /// Every published event with any one node replaced by any JSON value, or removed, is
    /// an observation, an ignored event or an error that says what is wrong: never a panic.
    #[test]
    fn published_events_mutated_anywhere_never_panic(
        file in proptest::num::usize::ANY,
        node in proptest::num::usize::ANY,
        replacement in any_json(),
        accepted in proptest::sample::subsequence(EventFamily::ALL.to_vec(), 0..=3),
    ) {
        let corpus = published();
        let (event, pointers) = &corpus[file % corpus.len()];
        let pointer = &pointers[node % pointers.len()];
        let mut mutated = event.clone();
        match (replacement, pointer.rsplit_once('/')) {
            (Some(value), _) => match mutated.pointer_mut(pointer) {
                Some(slot) => *slot = value,
                None => unreachable!("every pointer was collected from the event"),
            },
            (None, Some((parent, key))) => match mutated.pointer_mut(parent) {
                Some(serde_json::Value::Object(map)) => { map.remove(key); }
                Some(serde_json::Value::Array(items)) => {
                    if let Ok(i) = key.parse::<usize>() { items.remove(i); }
                }
                _ => {}
            },
            (None, None) => mutated = serde_json::Value::Null,
        }
        let bytes = serde_json::to_vec(&mutated).unwrap();
        if let Err(error) = parse_event(&bytes, &accepted) {
            proptest::prop_assert!(!error.to_string().is_empty());
        }
    }
}
