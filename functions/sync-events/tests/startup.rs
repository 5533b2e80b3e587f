//! The function binary refuses to start without its configuration, and says what to set.

#[test]
fn a_missing_table_name_stops_the_function_with_a_clear_message() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sync-events"))
        .env_clear()
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .expect("run the function binary");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "environment variable TABLE_NAME is not set: the DynamoDB table that holds the sync history"
        ),
        "{stderr}"
    );
}
