//! The `syncwarden` binary against moto's DynamoDB on loopback, as an operator runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::io::Write;
use std::process::{Command, Output, Stdio};

use syncwarden_tests::{endpoint, events_dir, table_name};

/// `syncwarden <args>` with the loopback-only AWS environment and `TABLE_NAME=table`.
fn syncwarden(table: Option<&str>, args: &[&str], stdin: Option<&str>) -> Output {
    syncwarden_with(table, args, stdin, &[])
}

/// The same, with extra environment variables.
fn syncwarden_with(
    table: Option<&str>,
    args: &[&str],
    stdin: Option<&str>,
    vars: &[(&str, &str)],
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_syncwarden"));
    command.env_clear().envs(vars.iter().copied());
    command
        .args(args)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(table) = table {
        command.env("TABLE_NAME", table);
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.unwrap_or_default().as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A table made by `syncwarden init` and filled by `syncwarden replay events/`.
fn replayed(test: &str) -> String {
    let table = table_name(test);
    let init = syncwarden(Some(&table), &["init"], None);
    assert!(init.status.success(), "{}", stderr(&init));
    let events = events_dir();
    let replay = syncwarden(Some(&table), &["replay", events.to_str().unwrap()], None);
    let out = stdout(&replay);
    // events/schedule/ and events/auto-resolve/ hold other functions' inputs: EventBridge
    // events that are not ours are ignored; the manual request is not an event at all.
    assert_eq!(replay.status.code(), Some(1), "{out}");
    assert!(out.contains("22 recorded, 2 ignored, 1 failed, 25 read"), "{out}");
    assert!(
        out.contains("scheduled-event.json: aws.events `Scheduled Event` — ignored: `Scheduled Event` from `aws.events` is not an event syncwarden tracks"),
        "{out}"
    );
    assert!(
        out.contains("manual-request.json: not an EventBridge event: this looks like an object without `source` and `detail-type` (its keys: dryRun, reason, stack)"),
        "{out}"
    );
    table
}

#[test]
fn replay_then_status_shows_every_resource_failing_first() {
    let table = replayed("cli-status");
    let status = syncwarden(Some(&table), &["status"], None);
    assert!(status.status.success(), "{}", stderr(&status));
    let out = stdout(&status);
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("stack/") || l.contains("pipeline/") || l.contains("repository/"))
        .collect();
    assert_eq!(rows.len(), 5, "{out}");
    assert!(rows[0].contains("failing") && rows[1].contains("failing"), "{out}");
    assert!(out.contains("UPDATE_ROLLBACK_COMPLETE"), "{out}");

    let failing = syncwarden(Some(&table), &["status", "--failing", "--json"], None);
    let json: serde_json::Value = serde_json::from_slice(&failing.stdout).unwrap();
    let resources: Vec<&str> =
        json.as_array().unwrap().iter().map(|s| s["resource"].as_str().unwrap()).collect();
    assert_eq!(resources, ["stack/payments-api", "pipeline/payments-release"]);
    assert_eq!(json[0]["commit"], "9f2c1e0b7d4a4c3e8b1f6a5d2c9e0f1a2b3c4d5e");

    // --names: the same resources in the same order, one id a line, for scripts.
    let names = syncwarden(Some(&table), &["status", "--failing", "--names"], None);
    assert!(names.status.success(), "{}", stderr(&names));
    assert_eq!(stdout(&names), "stack/payments-api\npipeline/payments-release\n");
    let all = stdout(&syncwarden(Some(&table), &["status", "--names"], None));
    assert_eq!(all.lines().count(), 5, "{all}");
    assert!(all.lines().zip(rows).all(|(name, row)| row.contains(name)), "{all}");
}

#[test]
fn history_is_newest_first_with_a_limit() {
    let table = replayed("cli-history");
    let history =
        syncwarden(Some(&table), &["history", "payments-api", "--limit", "2", "--json"], None);
    assert!(history.status.success(), "{}", stderr(&history));
    let json: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    let changes: Vec<&str> =
        json.as_array().unwrap().iter().map(|e| e["change"]["status"].as_str().unwrap()).collect();
    assert_eq!(changes, ["FAILED", "UPDATE_ROLLBACK_COMPLETE"]);

    let table_out =
        stdout(&syncwarden(Some(&table), &["history", "pipeline/payments-release"], None));
    assert!(table_out.starts_with("pipeline/payments-release, newest first"), "{table_out}");
    assert!(table_out.contains("JobFailed: Deployment"), "{table_out}");

    let none = stdout(&syncwarden(Some(&table), &["history", "stack/unknown-stack"], None));
    assert_eq!(none.trim(), "no history for stack/unknown-stack");
}

#[test]
fn replay_from_stdin_goes_on_past_bad_lines_and_a_second_run_adds_nothing() {
    let table = table_name("cli-stdin");
    assert!(syncwarden(Some(&table), &["init"], None).status.success());
    let event =
        std::fs::read_to_string(events_dir().join("codeconnections/resource-sync-failed.json"))
            .unwrap();
    let line: serde_json::Value = serde_json::from_str(&event).unwrap();
    let input = format!("{line}\nthis is not json\n{line}\n");
    let replay = syncwarden(Some(&table), &["replay", "-"], Some(&input));
    let out = stdout(&replay);
    assert_eq!(replay.status.code(), Some(1), "{out}");
    assert!(
        out.contains("error -:2: event is not valid JSON: expected ident at line 1 column 2"),
        "{out}"
    );
    assert!(
        out.contains("stack/payments-api git sync FAILED — recorded, state → failing"),
        "{out}"
    );
    assert!(
        out.contains("stack/payments-api git sync FAILED — already recorded, state unchanged"),
        "{out}"
    );
    assert!(out.contains("2 recorded, 0 ignored, 1 failed, 3 read"), "{out}");
}

#[test]
fn replay_of_a_broken_document_reports_its_first_syntax_error_once() {
    let table = table_name("cli-broken");
    assert!(syncwarden(Some(&table), &["init"], None).status.success());
    let event =
        std::fs::read_to_string(events_dir().join("codeconnections/resource-sync-failed.json"))
            .unwrap();
    // A pretty-printed event with one comma lost: neither one JSON value nor JSON Lines.
    let broken = event.replacen("\",\n", "\"\n", 1);
    let replay = syncwarden(Some(&table), &["replay", "-"], Some(&broken));
    let out = stdout(&replay);
    assert_eq!(replay.status.code(), Some(1), "{out}");
    assert_eq!(out.matches("error -").count(), 1, "{out}");
    assert!(out.contains("error -: event is not valid JSON: expected `,` or `}` at line"), "{out}");
    assert!(out.contains("0 recorded, 0 ignored, 1 failed, 1 read"), "{out}");
}

#[test]
fn clear_errors_for_a_missing_table_name_or_table() {
    let no_name = syncwarden(None, &["status"], None);
    assert_eq!(no_name.status.code(), Some(1));
    assert_eq!(
        stderr(&no_name).trim(),
        "syncwarden: no table: pass --table NAME or set TABLE_NAME"
    );

    let missing = syncwarden(Some("no-such-table"), &["status"], None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("table not found"), "{}", stderr(&missing));

    let bad_resource = syncwarden(Some("t"), &["history", "repository/abc"], None);
    assert_eq!(bad_resource.status.code(), Some(2));
    assert!(
        stderr(&bad_resource).contains("repository/LINK_ID@BRANCH"),
        "{}",
        stderr(&bad_resource)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blockers_shows_the_policy_verdict_and_resolve_acts_only_when_enforced() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../emulator/scenarios/demo.json");
    let scenario = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let emulator = syncwarden_emulator::Emulator::start(scenario).await.unwrap();
    let f = syncwarden_tests::fixture("cli-blockers").await;
    let poller = shared::poll::Poller::new(
        syncwarden_tests::control_plane(&emulator.url()),
        f.store.clone(),
        None,
        shared::poll::PollConfig { stop_margin: std::time::Duration::ZERO, ..Default::default() },
    );
    poller.run(std::time::Instant::now() + std::time::Duration::from_secs(30)).await.unwrap();
    let url = emulator.url();
    let control = [
        ("AWS_ENDPOINT_URL_CODECONNECTIONS", url.as_str()),
        ("AWS_ENDPOINT_URL_CODEPIPELINE", url.as_str()),
        ("AWS_ENDPOINT_URL_CLOUDFORMATION", url.as_str()),
    ];
    let blockers = tokio::task::block_in_place(|| {
        syncwarden_with(Some(&f.table), &["blockers", "--json"], None, &control)
    });
    assert!(blockers.status.success(), "{}", stderr(&blockers));
    let rows: serde_json::Value = serde_json::from_slice(&blockers.stdout).unwrap();
    assert_eq!(rows[0]["stack"], "payments-api");
    assert_eq!(rows[0]["decision"]["rule"], "allow-list", "safe defaults resolve nothing: {rows}");

    let mut enforce = control.to_vec();
    enforce.extend([("AUTO_RESOLVE_MODE", "enforce"), ("AUTO_RESOLVE_STACKS", "payments-*")]);
    let resolve = tokio::task::block_in_place(|| {
        syncwarden_with(
            Some(&f.table),
            &["resolve", "payments-api", "--reason", "alice: fix merged"],
            None,
            &enforce,
        )
    });
    assert!(resolve.status.success(), "{}", stderr(&resolve));
    assert!(stdout(&resolve).contains("resolve → Resolved"), "{}", stdout(&resolve));
    assert_eq!(emulator.scenario().stacks["payments-api"].blockers[0].status, "RESOLVED");
    let history = tokio::task::block_in_place(|| {
        syncwarden(Some(&f.table), &["history", "payments-api"], None)
    });
    assert!(stdout(&history).contains("auto-resolve resolve blocker"), "{}", stdout(&history));
}
