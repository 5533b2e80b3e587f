//! Client construction, scenario fixtures and a tiny raw HTTP client for the admin API.

use std::path::PathBuf;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_codeconnections::config::{Credentials, SharedCredentialsProvider};
use syncwarden_emulator::Scenario;
use syncwarden_emulator::scenario::{Connection, Pipeline, RepositoryLink, SyncConfiguration};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const LINK_ID: &str = "550e8400-e29b-41d4-a716-446655440000";
pub const CONNECTION_ARN: &str = "arn:aws:codeconnections:eu-west-1:111122223333:connection/0f5b706a-5b1e-4c4e-9d51-2c3f7e0d9a11";

/// SDK config for loopback only: static credentials, a region, no metadata probe.
pub fn sdk_config(url: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "tests",
        )))
        .endpoint_url(url)
        .build()
}

pub fn codeconnections(url: &str) -> aws_sdk_codeconnections::Client {
    aws_sdk_codeconnections::Client::new(&sdk_config(url))
}

pub fn codepipeline(url: &str) -> aws_sdk_codepipeline::Client {
    aws_sdk_codepipeline::Client::new(&sdk_config(url))
}

pub fn cloudformation(url: &str) -> aws_sdk_cloudformation::Client {
    aws_sdk_cloudformation::Client::new(&sdk_config(url))
}

pub fn demo_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/demo.json")
}

pub fn demo() -> Scenario {
    Scenario::from_file(&demo_path()).expect("demo.json loads")
}

/// An RFC 3339 time as the SDK's DateTime.
pub fn ts(rfc3339: &str) -> aws_smithy_types::DateTime {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("valid time");
    aws_smithy_types::DateTime::from_millis(t.timestamp_millis())
}

/// A scenario with five of everything that is listed, for pagination with page size 2.
pub fn five_of_everything() -> Scenario {
    let mut s = Scenario { page_size: 2, ..Scenario::default() };
    let t =
        chrono::DateTime::parse_from_rfc3339("2026-11-20T08:00:00Z").expect("valid time").to_utc();
    for i in 0..5 {
        let arn = format!("arn:aws:codeconnections:eu-west-1:111122223333:connection/c-{i}");
        s.connections.push(Connection {
            arn: arn.clone(),
            name: format!("conn-{i}"),
            provider_type: if i % 2 == 0 { "GitHub" } else { "GitLab" }.to_owned(),
            owner_account_id: "111122223333".to_owned(),
            status: "AVAILABLE".to_owned(),
            host_arn: None,
        });
        s.repository_links.push(RepositoryLink {
            id: format!("00000000-0000-4000-8000-00000000000{i}"),
            connection_arn: arn,
            owner_id: "acme".to_owned(),
            repository_name: format!("repo-{i}"),
            provider_type: "GitHub".to_owned(),
            encryption_key_arn: None,
        });
        s.sync_configurations.push(SyncConfiguration {
            resource_name: format!("stack-{i}"),
            repository_link_id: "00000000-0000-4000-8000-000000000000".to_owned(),
            branch: "main".to_owned(),
            config_file: format!("deploy/stack-{i}.yaml"),
            role_arn: "arn:aws:iam::111122223333:role/git-sync".to_owned(),
            sync_type: "CFN_STACK_SYNC".to_owned(),
            publish_deployment_status: None,
            trigger_resource_update_on: None,
        });
        s.pipelines.push(Pipeline {
            name: format!("pipeline-{i}"),
            version: 1,
            created: t,
            updated: t,
            stages: Vec::new(),
            executions: Vec::new(),
        });
    }
    s
}

/// A minimal HTTP/1.1 exchange over a fresh connection; returns (status, body).
pub async fn http(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8(raw).expect("utf-8 response");
    let (head, rest) = text.split_once("\r\n\r\n").expect("header end");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status line");
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    (status, body)
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").expect("chunk size");
        let size = usize::from_str_radix(size.trim(), 16).expect("hex size");
        if size == 0 {
            return out;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

/// Raw bytes POSTed with extra headers; returns (status, headers lowercased, body).
pub async fn raw_post(
    url: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status line");
    (status, head, raw[split + 4..].to_vec())
}
