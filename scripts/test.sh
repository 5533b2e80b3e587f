#!/usr/bin/env bash
# `make test`: the whole suite against real local servers on loopback.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_venv test
loopback_env

log "cfn-lint template.yaml"
"$VENV/bin/cfn-lint" template.yaml

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

start_moto
export SYNCWARDEN_TEST_DYNAMODB="$MOTO_ENDPOINT"

log "cargo test --workspace"
cargo test --workspace --locked
