use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::notify::notice::{BlockerNotice, EventType, Link, Severity};
use crate::observation::BlockerContext;

fn notice() -> Notice {
    let at = Utc.with_ymd_and_hms(2026, 11, 20, 10, 15, 0).unwrap();
    Notice {
        incident_id: "stack/payments-api@1795165420000".into(),
        transition_id: "stack/payments-api@1795165420000#4".into(),
        kind: NoticeKind::Resolved,
        event_type: EventType::Recovered,
        severity: Severity::Info,
        resource: "stack/payments-api".parse().unwrap(),
        headline: "Recovered: payments-api".into(),
        change: "git sync IN_PROGRESS → SUCCEEDED".into(),
        state: "git sync SUCCEEDED · stack UPDATE_COMPLETE".into(),
        detail: None,
        commit: Some("4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24".into()),
        commit_url: None,
        branch: Some("main".into()),
        repository: Some("acme/infra-repo".into()),
        blocker: Some(BlockerNotice {
            id: "blk-1".into(),
            reason: Some("Stack failed to deploy".into()),
            contexts: vec![BlockerContext {
                key: "StackStatus".into(),
                value: "UPDATE_ROLLBACK_COMPLETE".into(),
            }],
        }),
        links: vec![Link {
            label: "Stack events".into(),
            url: "https://eu-west-1.console.aws.amazon.com/cloudformation/home".into(),
        }],
        account: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
        at,
        opened_at: at - Duration::minutes(72),
        outage: Some(Duration::minutes(72)),
        fixed_by: Some("4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24".into()),
        author: None,
        mention: None,
    }
}

#[test]
fn a_recovery_reads_well_and_carries_filterable_attributes() {
    let message = render(&notice());
    assert_eq!(message.subject, "[RECOVERED] Recovered: payments-api");
    assert!(message.body.contains("Outage:     1h 12m"), "{}", message.body);
    assert!(message.body.contains("Fixed by:   4b8d2f61c0e9a7354d1f8e2b6c3a9d0e7f5b1c24"));
    assert!(message.body.contains("StackStatus: UPDATE_ROLLBACK_COMPLETE"));
    let attributes: Vec<(&str, &str)> =
        message.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        attributes,
        [
            ("account", "111122223333"),
            ("event_type", "recovered"),
            ("repository", "acme/infra-repo"),
            ("resource", "stack/payments-api"),
            ("severity", "info"),
        ]
    );
    insta::assert_snapshot!(message.body);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Whatever the input: the subject is under 100 characters without control characters, the
    /// whole message fits 256 KiB, and no attribute is empty.
    #[test]
    fn always_within_sns_limits(
        headline in ".{0,400}",
        detail in proptest::collection::vec(any::<char>(), 0..40_000).prop_map(|c| c.into_iter().collect::<String>()),
        repeat in 1..12usize,
        repository in ".{0,600}",
    ) {
        let mut n = notice();
        n.headline = headline;
        n.detail = Some(detail.repeat(repeat));
        n.repository = Some(repository);
        let message = render(&n);
        prop_assert!(message.subject.chars().count() < 100);
        prop_assert!(!message.subject.chars().any(char::is_control));
        prop_assert!(message.size() <= MESSAGE_MAX_BYTES, "{} bytes", message.size());
        prop_assert!(message.attributes.values().all(|v| !v.is_empty()));
    }
}
