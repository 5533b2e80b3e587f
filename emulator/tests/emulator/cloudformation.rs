//! CloudFormation `DescribeStacks` through the real `aws-sdk-cloudformation` (awsQuery).

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::StackStatus;
use syncwarden_emulator::scenario::{StackState, default_stack_id};
use syncwarden_emulator::{Emulator, Faults, Scenario};

use crate::support::{self, ts};

fn one_stack(name: &str, state: StackState) -> Scenario {
    let mut scenario = Scenario::default();
    scenario.stacks.insert(name.to_owned(), state);
    scenario
}

#[tokio::test]
async fn status_reason_and_times_decode() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cfn = support::cloudformation(&emulator.url());
    let out = cfn.describe_stacks().stack_name("payments-api").send().await.unwrap();
    let stacks = out.stacks();
    assert_eq!(stacks.len(), 1);
    let stack = &stacks[0];
    assert_eq!(stack.stack_name(), Some("payments-api"));
    assert_eq!(
        stack.stack_id(),
        Some(
            "arn:aws:cloudformation:eu-west-1:111122223333:stack/payments-api/6a7b8c90-1d2e-11f0-9abc-0a1b2c3d4e5f"
        )
    );
    assert_eq!(stack.stack_status(), Some(&StackStatus::UpdateRollbackComplete));
    assert_eq!(
        stack.stack_status_reason(),
        Some("The following resource(s) failed to update: [ApiSecurityGroupIngress].")
    );
    assert_eq!(stack.creation_time(), Some(&ts("2026-11-01T10:00:00Z")));
    assert_eq!(stack.last_updated_time(), Some(&ts("2026-11-20T09:04:37.250Z")));
    assert!(out.next_token().is_none());
    assert_eq!(emulator.calls()["DescribeStacks"], 1);

    // The stack id finds the same stack.
    let by_id = cfn.describe_stacks().stack_name(stack.stack_id().unwrap()).send().await.unwrap();
    assert_eq!(by_id.stacks()[0].stack_name(), Some("payments-api"));
}

#[tokio::test]
async fn defaults_for_a_stack_without_cloudformation_fields() {
    let state = StackState { desired_sha: "abc".to_owned(), ..StackState::default() };
    let emulator = Emulator::start(one_stack("plain", state)).await.unwrap();
    let cfn = support::cloudformation(&emulator.url());
    let out = cfn.describe_stacks().stack_name("plain").send().await.unwrap();
    let stack = &out.stacks()[0];
    assert_eq!(stack.stack_status(), Some(&StackStatus::UpdateComplete));
    assert_eq!(stack.stack_status_reason(), None);
    assert_eq!(stack.stack_id(), Some(default_stack_id("plain").as_str()));
    assert_eq!(stack.creation_time(), Some(&ts("2026-11-01T10:00:00Z")));
    assert_eq!(stack.last_updated_time(), None);

    // The derived id also finds it.
    let by_id = cfn.describe_stacks().stack_name(default_stack_id("plain")).send().await.unwrap();
    assert_eq!(by_id.stacks()[0].stack_name(), Some("plain"));
}

#[tokio::test]
async fn missing_stack_is_a_validation_error() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cfn = support::cloudformation(&emulator.url());
    let err = cfn.describe_stacks().stack_name("no-such-stack").send().await.unwrap_err();
    let service = err.as_service_error().expect("a service error");
    assert_eq!(service.code(), Some("ValidationError"), "{err:?}");
    assert_eq!(service.message(), Some("Stack with id no-such-stack does not exist"));
    assert!(service.message().unwrap().contains("does not exist"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    // A client error is not retried.
    assert_eq!(emulator.calls()["DescribeStacks"], 1);
}

#[tokio::test]
async fn throttling_is_retried_then_surfaced() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    emulator.set_faults(Faults { throttle_rate: 1.0, ..Faults::default() });
    let cfn = support::cloudformation(&emulator.url());
    let err = cfn.describe_stacks().stack_name("payments-api").send().await.unwrap_err();
    assert_eq!(err.as_service_error().and_then(|e| e.code()), Some("Throttling"), "{err:?}");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    assert_eq!(emulator.calls()["DescribeStacks"], 3);

    emulator.set_faults(Faults { error_rate: 1.0, ..Faults::default() });
    emulator.reset_calls();
    let err = cfn.describe_stacks().send().await.unwrap_err();
    assert_eq!(err.as_service_error().and_then(|e| e.code()), Some("InternalFailure"), "{err:?}");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));
    assert_eq!(emulator.calls()["DescribeStacks"], 3);
}

#[tokio::test]
async fn demo_statuses_without_a_stack_name() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let cfn = support::cloudformation(&emulator.url());
    let out = cfn.describe_stacks().send().await.unwrap();
    let statuses: Vec<(&str, &StackStatus)> =
        out.stacks().iter().map(|s| (s.stack_name().unwrap(), s.stack_status().unwrap())).collect();
    assert_eq!(statuses.len(), 3);
    for expected in [
        ("network-core", &StackStatus::UpdateComplete),
        ("payments-api", &StackStatus::UpdateRollbackComplete),
        ("search-index", &StackStatus::UpdateInProgress),
    ] {
        assert!(statuses.contains(&expected), "{expected:?} in {statuses:?}");
    }
}

#[tokio::test]
async fn text_is_xml_escaped() {
    let reason = r#"Resource <Bucket> & "policy" isn't valid > 0"#;
    let state = StackState {
        desired_sha: "abc".to_owned(),
        stack_status: Some("UPDATE_FAILED".to_owned()),
        stack_status_reason: Some(reason.to_owned()),
        ..StackState::default()
    };
    let emulator = Emulator::start(one_stack("a&b<c>", state)).await.unwrap();
    let cfn = support::cloudformation(&emulator.url());
    let out = cfn.describe_stacks().stack_name("a&b<c>").send().await.unwrap();
    let stack = &out.stacks()[0];
    assert_eq!(stack.stack_name(), Some("a&b<c>"));
    assert_eq!(stack.stack_status(), Some(&StackStatus::UpdateFailed));
    assert_eq!(stack.stack_status_reason(), Some(reason));

    // The name is escaped in the error message too.
    let err = cfn.describe_stacks().stack_name("<&>").send().await.unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| e.message()),
        Some("Stack with id <&> does not exist")
    );
}

#[tokio::test]
async fn raw_query_requests() {
    let emulator = Emulator::start(support::demo()).await.unwrap();
    let url = emulator.url();
    let form = [("content-type", "application/x-www-form-urlencoded")];

    let (status, head, body) = support::raw_post(
        &url,
        "/",
        &form,
        b"Action=DescribeStacks&Version=2010-05-15&StackName=network-core",
    )
    .await;
    let body = String::from_utf8(body).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("content-type: text/xml"), "{head}");
    assert!(body.starts_with(
        "<DescribeStacksResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">"
    ));
    assert!(body.contains("<StackStatus>UPDATE_COMPLETE</StackStatus>"), "{body}");
    assert!(body.contains("<ResponseMetadata><RequestId>"), "{body}");

    let (status, _, body) =
        support::raw_post(&url, "/", &form, b"Action=DeleteEverything&Version=2010-05-15").await;
    let body = String::from_utf8(body).unwrap();
    assert_eq!(status, 400);
    assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
    assert_eq!(emulator.calls()["DeleteEverything"], 1);

    let (status, _, body) = support::raw_post(
        &url,
        "/",
        &form,
        b"Action=DescribeStacks&StackName=ghost&Version=2010-05-15",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        String::from_utf8(body).unwrap().split("<RequestId>").next().unwrap(),
        "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error>\
         <Type>Sender</Type><Code>ValidationError</Code>\
         <Message>Stack with id ghost does not exist</Message></Error>"
    );

    // Garbage never panics; without an Action the body falls through to CodePipeline, which
    // answers a missing X-Amz-Target.
    for junk in [&b"%%%&&&==="[..], &[0xff, 0x00, 0xfe], b"Action", b"StackName=x", b""] {
        let (status, _, _) = support::raw_post(&url, "/", &form, junk).await;
        assert_eq!(status, 400, "{junk:?}");
    }
    // Malformed escapes still decode (lossily) to an action that is not served.
    let (status, _, _) = support::raw_post(&url, "/", &form, b"Action=%ZZ%ff&StackName=%").await;
    assert_eq!(status, 400);

    // CodePipeline still works on the same path.
    let cp = support::codepipeline(&url);
    cp.list_pipelines().send().await.unwrap();
}
