//! The function binary refuses to start without its configuration, and says what to set.

#[test]
fn a_missing_table_name_stops_the_function_with_a_clear_message() {
    syncwarden_tests::assert_function_needs_table_name(env!("CARGO_BIN_EXE_auto-resolve-blocker"));
}
