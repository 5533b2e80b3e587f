//! The function binary refuses to start without its configuration, and says what to set.

#[test]
fn a_missing_table_name_stops_the_function_with_a_clear_message() {
    syncwarden_tests::assert_function_needs_table_name(env!("CARGO_BIN_EXE_notifier"));
}

/// As the template deploys it: the routes name a topic that `NotifyRouteTopicArns` does not
/// grant. The binary stops before serving anything, naming the parameter to set.
#[test]
fn a_route_the_role_may_not_use_stops_the_function_naming_the_parameter() {
    let routes = r#"{"channels": {
        "pager": {"type": "sns", "topic_arn": "arn:aws:sns:eu-west-1:111122223333:pager"}},
        "default": ["pager"]}"#;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_notifier"))
        .env_clear()
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Never reached: the configuration is refused first.
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .env("TABLE_NAME", "syncwarden-history")
        .env("NOTIFY_ROUTES", routes)
        .env("NOTIFY_ALLOWED_SECRET_ARNS", ",,")
        .env("NOTIFY_ALLOWED_TOPIC_ARNS", "arn:aws:sns:eu-west-1:111122223333:syncwarden,")
        .output()
        .expect("run the function binary");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("channel `pager` publishes to the topic")
            && stderr.contains("NotifyRouteTopicArns"),
        "{stderr}"
    );
}
