//! The `syncwarden-emulator` binary: scenario file in, one "listening on" line out.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

use crate::support;

const BIN: &str = env!("CARGO_BIN_EXE_syncwarden-emulator");

#[test]
fn demo_scenario_loads() {
    let demo = support::demo();
    assert_eq!(demo.stacks.len(), 3);
    let payments = &demo.stacks["payments-api"];
    assert_eq!(payments.latest_sync.as_ref().unwrap().status, "FAILED");
    assert_eq!(payments.blockers.len(), 1);
    assert_eq!(demo.stacks["search-index"].latest_sync.as_ref().unwrap().status, "IN_PROGRESS");
    assert_eq!(demo.pipelines.len(), 3);
}

#[tokio::test]
async fn binary_serves_the_demo_scenario() {
    let mut child = Command::new(BIN)
        .arg("--scenario")
        .arg(support::demo_path())
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(stdout);
    let read = stdout.read_line(&mut line);
    tokio::time::timeout(std::time::Duration::from_secs(20), read)
        .await
        .expect("listening line within 20 s")
        .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let cc = support::codeconnections(&url);
    let links = cc.list_repository_links().send().await.unwrap();
    assert_eq!(links.repository_links().len(), 1);

    child.start_kill().unwrap();
    child.wait().await.unwrap();
}

#[tokio::test]
async fn binary_names_a_bad_scenario_file() {
    let dir = std::env::temp_dir().join(format!("syncwarden-emu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"pipelines": [{"name": "p", "version": "three"}]}"#).unwrap();

    for (file, expect) in [
        (bad.clone(), "pipelines[0].version"),
        (dir.join("missing.json"), "cannot read scenario file"),
    ] {
        let mut child = Command::new(BIN)
            .arg("--scenario")
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).await.unwrap();
        let status = child.wait().await.unwrap();
        assert!(!status.success());
        assert!(stderr.contains(file.to_str().unwrap()), "{stderr}");
        assert!(stderr.contains(expect), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
