use chrono::TimeZone;
use proptest::prelude::*;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn enforce(stacks: &[&str]) -> PolicyConfig {
    PolicyConfig::new(PolicySettings {
        mode: Mode::Enforce,
        stacks: stacks.iter().map(|s| s.to_string()).collect(),
        reasons: vec!["*rolled back*".into()],
        ..PolicySettings::default()
    })
    .unwrap()
}

fn blocker() -> BlockerFacts {
    BlockerFacts {
        stack: "payments-api".into(),
        id: "blk-1".into(),
        status: BlockerStatus::Active,
        reason: "Stack payments-api failed to deploy and was ROLLED BACK".into(),
        created_at: now() - Duration::hours(1),
    }
}

fn healthy_facts() -> Facts {
    Facts {
        now: now(),
        stack_status: Some(StackStatus::UpdateRollbackComplete),
        latest_sync: Some((SyncStatus::Failed, "9f2c1e0".into())),
        desired_commit: Some("4b8d2f6".into()),
        earlier_attempts: Vec::new(),
    }
}

fn rule(decision: &Decision) -> (&'static str, &str) {
    let kind = match decision {
        Decision::Resolve { .. } => "resolve",
        Decision::Skip { .. } => "skip",
        Decision::Escalate { .. } => "escalate",
    };
    (kind, decision.rule())
}

#[test]
fn a_blocker_on_a_healthy_allow_listed_stack_with_a_fix_pushed_is_resolved() {
    let decision = decide(&blocker(), &healthy_facts(), &enforce(&["payments-*"]));
    assert_eq!(rule(&decision), ("resolve", "policy"));
}

#[test]
fn each_rule_says_no_for_its_own_reason() {
    let config = enforce(&["payments-*"]);
    let b = blocker();
    let f = healthy_facts();
    let check = |b: &BlockerFacts, f: &Facts, c: &PolicyConfig, expected: (&str, &str)| {
        assert_eq!(rule(&decide(b, f, c)), expected);
    };
    check(
        &BlockerFacts { status: BlockerStatus::Resolved, ..b.clone() },
        &f,
        &config,
        ("skip", "active-only"),
    );
    let mut off = config.clone();
    off.settings.mode = Mode::Off;
    check(&b, &f, &off, ("skip", "mode"));
    check(&b, &f, &enforce(&["network-*"]), ("skip", "allow-list"));
    check(&b, &f, &PolicyConfig::safe_defaults(), ("skip", "allow-list"));
    check(
        &BlockerFacts { reason: "stack deleted outside Git sync".into(), ..b.clone() },
        &f,
        &config,
        ("skip", "reason"),
    );
    check(
        &BlockerFacts { created_at: now() - Duration::minutes(5), ..b.clone() },
        &f,
        &config,
        ("skip", "min-age"),
    );
    for status in [
        StackStatus::UpdateRollbackFailed,
        StackStatus::UpdateInProgress,
        StackStatus::DeleteComplete,
    ] {
        check(
            &b,
            &Facts { stack_status: Some(status), ..f.clone() },
            &config,
            ("skip", "stack-state"),
        );
    }
    check(
        &b,
        &Facts { desired_commit: Some("9f2c1e0".into()), ..f.clone() },
        &config,
        ("skip", "new-commit"),
    );
    check(
        &b,
        &Facts { earlier_attempts: vec![now() - Duration::minutes(10)], ..f.clone() },
        &config,
        ("skip", "cooldown"),
    );
    let three =
        vec![now() - Duration::hours(1), now() - Duration::hours(2), now() - Duration::hours(3)];
    check(&b, &Facts { earlier_attempts: three, ..f.clone() }, &config, ("escalate", "daily-cap"));
    // Without the new-commit rule, the same commit may be retried.
    let mut retry_same = config.clone();
    retry_same.settings.require_new_commit = false;
    check(
        &b,
        &Facts { desired_commit: Some("9f2c1e0".into()), ..f },
        &retry_same,
        ("resolve", "policy"),
    );
}

fn stack_status() -> impl Strategy<Value = Option<StackStatus>> {
    proptest::option::of(proptest::sample::select(StackStatus::KNOWN.to_vec()))
}

proptest! {
    /// Whatever the inputs, `Resolve` only ever comes out when every rule allows it.
    #[test]
    fn never_resolves_outside_the_rules(
        mode in prop_oneof![Just(Mode::Off), Just(Mode::DryRun), Just(Mode::Enforce)],
        allow in proptest::sample::select(vec![vec![], vec!["payments-*"], vec!["*"], vec!["network-core"]]),
        active in any::<bool>(),
        reason in prop_oneof![Just("rolled back after failure"), Just("deleted outside Git sync"), Just("")],
        age_minutes in 0..200i64,
        stack_status in stack_status(),
        desired in proptest::option::of(proptest::sample::select(vec!["a", "b"])),
        failed in proptest::option::of(proptest::sample::select(vec!["a", "b"])),
        require_new_commit in any::<bool>(),
        attempts in proptest::collection::vec(0..3000i64, 0..6),
    ) {
        let config = PolicyConfig::new(PolicySettings {
            mode,
            stacks: allow.iter().map(|s| s.to_string()).collect(),
            reasons: vec!["*rolled back*".into()],
            require_new_commit,
            ..PolicySettings::default()
        }).unwrap();
        let b = BlockerFacts {
            stack: "payments-api".into(),
            id: "blk".into(),
            status: if active { BlockerStatus::Active } else { BlockerStatus::Resolved },
            reason: reason.into(),
            created_at: now() - Duration::minutes(age_minutes),
        };
        let f = Facts {
            now: now(),
            stack_status: stack_status.clone(),
            latest_sync: failed.map(|c| (SyncStatus::Failed, c.to_string())),
            desired_commit: desired.map(str::to_string),
            earlier_attempts: attempts.iter().map(|m| now() - Duration::minutes(*m)).collect(),
        };
        if let Decision::Resolve { .. } = decide(&b, &f, &config) {
            prop_assert!(active);
            prop_assert_ne!(mode, Mode::Off);
            prop_assert!(allow.iter().any(|p| *p == "*" || *p == "payments-*"));
            prop_assert!(reason.contains("rolled back"));
            prop_assert!(age_minutes >= 15);
            let status = stack_status.unwrap();
            prop_assert!(!status.as_str().ends_with("_IN_PROGRESS") && !status.as_str().ends_with("_FAILED"));
            prop_assert!(status.as_str().ends_with("_COMPLETE") && status != StackStatus::DeleteComplete && status != StackStatus::RollbackComplete);
            if require_new_commit {
                prop_assert!(desired.is_some() && failed.is_some() && desired != failed);
            }
            prop_assert!(attempts.iter().filter(|m| **m < 24 * 60).count() < 3);
            prop_assert!(attempts.iter().all(|m| *m >= 30));
        }
    }
}
