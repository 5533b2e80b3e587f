#!/usr/bin/env bash
# `make test`: the whole suite against real local servers on loopback.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_venv test
loopback_env

log "cfn-lint template.yaml"
"$VENV/bin/cfn-lint" template.yaml

# checkov has a venv of its own (tools/requirements-checkov.txt says why). --skip-download keeps
# it offline: without it, it fetches policy metadata from its vendor's API. Each skipped check
# is listed, with its reason, in the resource's Metadata in template.yaml.
VENV="$VENV/checkov" ensure_venv checkov
log "checkov template.yaml"
"$VENV/checkov/bin/checkov" -f template.yaml --framework cloudformation --quiet --compact --skip-download

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

start_moto
export SYNCWARDEN_TEST_DYNAMODB="$MOTO_ENDPOINT"

log "cargo test --workspace"
cargo test --workspace --locked
