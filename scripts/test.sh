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

# The emulator as boto3 (and so the AWS CLI) sees it: awsJson1_0/1_1 and awsQuery, every
# operation syncwarden uses, pagination and the modelled errors against botocore's own model.
log "boto3 against the emulator"
cargo build --quiet --locked -p syncwarden-emulator --bin syncwarden-emulator
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
EMULATOR_PORT=$(free_port)
start_bg "$STATE_DIR/emulator-boto3.log" "$TARGET_DIR/debug/syncwarden-emulator" \
  --scenario emulator/scenarios/demo.json --port "$EMULATOR_PORT"
export SYNCWARDEN_EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT"
wait_http "$SYNCWARDEN_EMULATOR_URL/admin/calls" 30 || { cat "$STATE_DIR/emulator-boto3.log" >&2; exit 1; }
"$VENV/bin/python" tests/boto3/test_emulator.py
