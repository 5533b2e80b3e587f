//! The real `SlackClient` against the local Slack: delivery, retries, deadlines, threads.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shared::clients::slack::{RETRY_AFTER_MAX, SlackClient, SlackError};
use syncwarden_emulator::SlackServer;
use syncwarden_emulator::slack::{SlackCall, SlackFailure};

const CHANNEL: &str = "C0INCIDENTS";

async fn server() -> (SlackServer, SlackClient) {
    let server = SlackServer::start().await.expect("slack emulator starts");
    let client = SlackClient::new(server.api_base()).expect("a loopback API base is allowed");
    (server, client)
}

fn payload(text: &str) -> Value {
    json!({ "text": text, "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }] })
}

fn in_secs(secs: u64) -> Instant {
    Instant::now() + Duration::from_secs(secs)
}

#[tokio::test]
async fn a_webhook_post_is_delivered_once() {
    let (slack, client) = server().await;
    client.post_webhook(&slack.webhook_url(), &payload("hello"), in_secs(5)).await.unwrap();
    let messages = slack.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].kind, SlackCall::Webhook);
    assert_eq!(messages[0].body["text"], "hello");
    assert_eq!(slack.calls(), 1);
}

#[tokio::test]
async fn a_webhook_payload_without_text_or_blocks_is_rejected() {
    let (slack, client) = server().await;
    let error =
        client.post_webhook(&slack.webhook_url(), &json!({}), in_secs(5)).await.unwrap_err();
    assert!(
        matches!(&error, SlackError::Rejected { status: 400, error } if error == "invalid_payload"),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(slack.calls(), 1, "a refusal is not retried");
}

#[tokio::test]
async fn a_429_waits_retry_after_then_delivers_once() {
    let (slack, client) = server().await;
    slack.fail_next(1, SlackFailure::RateLimited { retry_after_secs: 1 });
    let started = Instant::now();
    client.post_webhook(&slack.webhook_url(), &payload("hello"), in_secs(10)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "took {:?}", started.elapsed());
    assert_eq!(slack.messages().len(), 1);
    assert_eq!(slack.calls(), 2);
}

#[tokio::test]
async fn two_500s_then_success_delivers_once() {
    let (slack, client) = server().await;
    slack.fail_next(2, SlackFailure::ServerError);
    client.post_webhook(&slack.webhook_url(), &payload("hello"), in_secs(10)).await.unwrap();
    assert_eq!(slack.messages().len(), 1);
    assert_eq!(slack.calls(), 3);
}

#[tokio::test]
async fn a_persistent_500_gives_a_retryable_error_and_delivers_nothing() {
    let (slack, client) = server().await;
    slack.fail_next(100, SlackFailure::ServerError);
    let error = client
        .post_webhook(&slack.webhook_url(), &payload("hello"), in_secs(10))
        .await
        .unwrap_err();
    assert!(matches!(error, SlackError::Server { status: 500 }), "{error:?}");
    assert!(error.is_retryable());
    assert!(slack.messages().is_empty());
    assert_eq!(slack.calls(), 4, "at most 4 attempts");
}

#[tokio::test]
async fn a_429_that_does_not_fit_before_the_deadline_returns_promptly() {
    let (slack, client) = server().await;
    slack.fail_next(1, SlackFailure::RateLimited { retry_after_secs: 30 });
    let started = Instant::now();
    let error =
        client.post_webhook(&slack.webhook_url(), &payload("hello"), in_secs(5)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    assert!(slack.messages().is_empty());
}

#[tokio::test]
async fn bot_mode_threads_replies_under_the_root_and_updates_it() {
    let (slack, client) = server().await;
    let token = slack.token().to_owned();
    let deadline = in_secs(10);
    let root = client.post_message(&token, CHANNEL, &payload("red"), None, deadline).await.unwrap();
    let first = client
        .post_message(&token, CHANNEL, &payload("blocked"), Some(&root), deadline)
        .await
        .unwrap();
    let second = client
        .post_message(&token, CHANNEL, &payload("recovered"), Some(&root), deadline)
        .await
        .unwrap();
    client.update_message(&token, CHANNEL, &root, &payload("green"), deadline).await.unwrap();

    assert!(root < first && first < second, "timestamps increase: {root} {first} {second}");
    let messages = slack.messages();
    let seen: Vec<_> = messages
        .iter()
        .map(|m| (m.kind, m.channel.as_deref(), m.ts.as_str(), m.thread_ts.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (SlackCall::PostMessage, Some(CHANNEL), root.as_str(), None),
            (SlackCall::PostMessage, Some(CHANNEL), first.as_str(), Some(root.as_str())),
            (SlackCall::PostMessage, Some(CHANNEL), second.as_str(), Some(root.as_str())),
            (SlackCall::Update, Some(CHANNEL), root.as_str(), None),
        ]
    );
    assert_eq!(messages[3].body["text"], "green");
    assert_eq!(slack.latest(&root).unwrap()["text"], "green");
}

#[tokio::test]
async fn a_failed_post_message_is_retried_without_posting_twice() {
    let (slack, client) = server().await;
    slack.fail_next(1, SlackFailure::ServerError);
    let ts = client
        .post_message(&slack.token(), CHANNEL, &payload("red"), None, in_secs(10))
        .await
        .unwrap();
    assert_eq!(slack.messages().len(), 1);
    assert_eq!(slack.messages()[0].ts, ts);
}

#[tokio::test]
async fn a_web_api_ratelimited_answer_counts_as_a_429() {
    let (slack, client) = server().await;
    slack.fail_next(1, SlackFailure::ApiRateLimited { retry_after_secs: 1 });
    let started = Instant::now();
    client.post_message(&slack.token(), CHANNEL, &payload("red"), None, in_secs(10)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "took {:?}", started.elapsed());
    assert_eq!((slack.messages().len(), slack.calls()), (1, 2));
}

#[tokio::test]
async fn an_invalid_token_is_rejected_for_good() {
    let (slack, client) = server().await;
    let error = client
        .post_message("xoxb-wrong", CHANNEL, &payload("red"), None, in_secs(5))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SlackError::Rejected { error, .. } if error == "invalid_auth"),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert!(!error.to_string().contains("xoxb"), "the token never shows: {error}");
    assert_eq!(slack.calls(), 1);
}

#[tokio::test]
async fn updating_an_unknown_message_is_rejected() {
    let (slack, client) = server().await;
    let error = client
        .update_message(&slack.token(), CHANNEL, "1.000100", &payload("green"), in_secs(5))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SlackError::Rejected { error, .. } if error == "message_not_found"),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unreachable_slack_is_a_retryable_error_without_the_url() {
    let (slack, client) = server().await;
    let url = slack.webhook_url();
    drop(slack);
    // Give the server task a moment to close the listener.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let error = client.post_webhook(&url, &payload("hello"), in_secs(5)).await.unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert!(!error.to_string().contains("XXXXXXXX"), "the webhook URL never shows: {error}");
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let (slack, client) = server().await;
    slack.fail_next(1, SlackFailure::Redirect);
    let error =
        client.post_webhook(&slack.webhook_url(), &payload("hello"), in_secs(5)).await.unwrap_err();
    assert!(matches!(error, SlackError::Rejected { status: 302, .. }), "{error:?}");
    assert!(!error.is_retryable());
    assert_eq!(slack.calls(), 1, "the redirect target was never asked");
    assert!(slack.messages().is_empty());
}

#[tokio::test]
async fn plain_http_to_a_host_that_is_not_loopback_is_never_sent() {
    let (slack, client) = server().await;
    // 0.0.0.0 reaches this machine on Linux but is not a loopback address: if the check were
    // missing, the local server would count the request (nothing can leave the machine).
    let url = slack.webhook_url().replace("127.0.0.1", "0.0.0.0");
    let error = client.post_webhook(&url, &payload("hello"), in_secs(5)).await.unwrap_err();
    assert!(matches!(error, SlackError::RefusedUrl(_)), "{error:?}");
    assert_eq!(slack.calls(), 0);
    assert!(SlackClient::new(slack.api_base().replace("127.0.0.1", "0.0.0.0")).is_err());
}

#[tokio::test]
async fn an_absurd_retry_after_is_capped_and_does_not_hold_the_call() {
    let (slack, client) = server().await;
    slack.fail_next(1, SlackFailure::RateLimited { retry_after_secs: u64::MAX });
    let started = Instant::now();
    let error =
        client.post_webhook(&slack.webhook_url(), &payload("hello"), in_secs(5)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(error.retry_after(), Some(RETRY_AFTER_MAX));
}

#[tokio::test]
async fn a_rotated_token_is_refused_as_revoked_and_the_new_one_works() {
    let (slack, client) = server().await;
    let old = slack.token();
    let new = slack.rotate_token();
    assert_ne!(old, new);
    let error =
        client.post_message(&old, CHANNEL, &payload("red"), None, in_secs(5)).await.unwrap_err();
    assert!(
        matches!(&error, SlackError::Rejected { error, .. } if error == "token_revoked"),
        "{error:?}"
    );
    assert!(error.is_credential_refused());
    client.post_message(&new, CHANNEL, &payload("red"), None, in_secs(5)).await.unwrap();
    assert_eq!(slack.messages().len(), 1);
}

#[tokio::test]
async fn a_rotated_webhook_is_refused_with_403_and_the_new_one_works() {
    let (slack, client) = server().await;
    let old = slack.webhook_url();
    let new = slack.rotate_webhook();
    assert_eq!(new, slack.webhook_url());
    let error = client.post_webhook(&old, &payload("hello"), in_secs(5)).await.unwrap_err();
    assert!(
        matches!(&error, SlackError::Rejected { status: 403, error } if error == "invalid_token"),
        "{error:?}"
    );
    assert!(error.is_credential_refused());
    client.post_webhook(&new, &payload("hello"), in_secs(5)).await.unwrap();
    assert_eq!(slack.messages().len(), 1);
}
