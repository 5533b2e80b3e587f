use serde_json::json;

use super::*;
use crate::observation::Change;

/// A decision as history has stored it since the auto-resolver was written.
fn stored(decision: &str, mode: &str, outcome: &str) -> serde_json::Value {
    json!({
        "type": "blocker_decision",
        "blocker": "blk-1",
        "decision": decision,
        "rule": "policy",
        "why": "stack payments-api is UPDATE_COMPLETE",
        "mode": mode,
        "outcome": outcome,
        "requested_by": "event",
    })
}

#[test]
fn stored_decisions_read_as_types_and_write_back_the_same_words() {
    use ActionOutcome::*;
    let failed = Failed("RetryLatestCommitFailedException".into());
    for (decision, mode, outcome, typed) in [
        ("resolve", "enforce", "resolved", (DecisionKind::Resolve, Mode::Enforce, Resolved)),
        (
            "resolve",
            "enforce",
            "already-resolved",
            (DecisionKind::Resolve, Mode::Enforce, AlreadyResolved),
        ),
        ("resolve", "dry-run", "dry-run", (DecisionKind::Resolve, Mode::DryRun, DryRun)),
        ("skip", "off", "not-acted", (DecisionKind::Skip, Mode::Off, NotActed)),
        ("escalate", "enforce", "not-acted", (DecisionKind::Escalate, Mode::Enforce, NotActed)),
        ("resolve", "enforce", "busy", (DecisionKind::Resolve, Mode::Enforce, Busy)),
        (
            "resolve",
            "enforce",
            "failed: RetryLatestCommitFailedException",
            (DecisionKind::Resolve, Mode::Enforce, failed.clone()),
        ),
        (
            "resolve",
            "enforce",
            "no-active-blocker",
            (DecisionKind::Resolve, Mode::Enforce, NoActiveBlocker),
        ),
    ] {
        let json = stored(decision, mode, outcome);
        let change: Change = serde_json::from_value(json.clone()).unwrap();
        let Change::BlockerDecision { decision: d, mode: m, outcome: o, .. } = &change else {
            panic!("{json} is not a decision")
        };
        assert_eq!((d, m, o), (&typed.0.into(), &typed.1.into(), &typed.2.into()), "{json}");
        assert_eq!(serde_json::to_value(&change).unwrap(), json, "written back unchanged");
    }
}

#[test]
fn words_this_version_does_not_know_are_kept_verbatim() {
    let json = stored("defer", "manual", "queued: behind blk-0");
    let change: Change = serde_json::from_value(json.clone()).unwrap();
    let Change::BlockerDecision { decision, mode, outcome, .. } = &change else { panic!() };
    assert_eq!(decision, &Recorded::Unknown("defer".into()));
    assert_eq!(mode, &Recorded::Unknown("manual".into()));
    assert_eq!(outcome, &Recorded::Unknown("queued: behind blk-0".into()));
    assert_eq!(serde_json::to_value(&change).unwrap(), json);
    assert_eq!(change.label(), "auto-resolve defer blocker blk-1 (manual: queued: behind blk-0)");
}

#[test]
fn every_known_value_reads_back_from_its_word() {
    for kind in [DecisionKind::Resolve, DecisionKind::Skip, DecisionKind::Escalate] {
        assert_eq!(Recorded::parse(&kind.to_wire()), Recorded::Known(kind));
    }
    for mode in [Mode::Off, Mode::DryRun, Mode::Enforce] {
        assert_eq!(Recorded::parse(&mode.to_wire()), Recorded::Known(mode));
    }
    for outcome in [
        ActionOutcome::Resolved,
        ActionOutcome::AlreadyResolved,
        ActionOutcome::DryRun,
        ActionOutcome::NotActed,
        ActionOutcome::Busy,
        ActionOutcome::Failed("Throttling".into()),
        ActionOutcome::Failed(String::new()),
        ActionOutcome::NoActiveBlocker,
    ] {
        assert_eq!(Recorded::parse(&outcome.to_wire()), Recorded::Known(outcome));
    }
}

#[test]
fn the_action_report_keeps_its_own_form() {
    assert_eq!(
        serde_json::to_value(ActionOutcome::AlreadyResolved).unwrap(),
        json!("already_resolved")
    );
    assert_eq!(
        serde_json::to_value(ActionOutcome::Failed("Throttling".into())).unwrap(),
        json!({"failed": "Throttling"})
    );
    assert_eq!(serde_json::to_value(Mode::DryRun).unwrap(), json!("dry-run"));
}

#[test]
fn an_escalation_fails_the_resource_and_other_decisions_do_not() {
    let health = |decision: &str| {
        let change: Change =
            serde_json::from_value(stored(decision, "enforce", "not-acted")).unwrap();
        (change.status().to_owned(), change.health())
    };
    assert_eq!(health("escalate"), ("escalate".into(), crate::status::Health::Failing));
    assert_eq!(health("skip"), ("skip".into(), crate::status::Health::Healthy));
    assert_eq!(health("defer"), ("defer".into(), crate::status::Health::Healthy));
}
